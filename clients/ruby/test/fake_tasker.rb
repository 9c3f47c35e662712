# frozen_string_literal: true

# Copyright otelcol-tasker authors
# SPDX-License-Identifier: Apache-2.0
#
# A stand-in for the parts of Tasker the forwarder uses, written from Tasker's API (not
# its code): Tasker::Events::Subscribers::BaseSubscriber (subscribe_to, the handle_*
# routing, resolve_internal_event_constant, generate_handler_method_name) and a
# dry-events style publisher (registered events in its bus, subscribe, publish that puts
# `timestamp: Time` first as Tasker::Events::Publisher#publish does).

module Tasker
  VERSION = '0.1.0'

  module Events
    # Event is what dry-events hands to listeners: id and payload.
    Event = Struct.new(:id, :payload) do
      def [](key)
        payload[key]
      end
    end

    class Publisher
      Bus = Struct.new(:events, :listeners)

      def self.instance
        @instance ||= new
      end

      def initialize
        @bus = Bus.new({}, Hash.new { |h, k| h[k] = [] })
      end

      def __bus__
        @bus
      end

      def register_event(name)
        @bus.events[name.to_s] = true
      end

      def subscribe(name, &block)
        raise ArgumentError, "unregistered event #{name}" unless @bus.events.key?(name.to_s)

        @bus.listeners[name.to_s] << block
      end

      def publish(name, payload = {})
        raise ArgumentError, "unregistered event #{name}" unless @bus.events.key?(name.to_s)

        event = Event.new(name.to_s, { timestamp: Time.now }.merge(payload))
        @bus.listeners[name.to_s].each { |l| l.call(event) }
      end
    end

    module Subscribers
      class BaseSubscriber
        class << self
          def subscribed_events
            @subscribed_events || (superclass.respond_to?(:subscribed_events) ? superclass.subscribed_events : [])
          end

          attr_writer :subscribed_events

          def subscribe_to(*events)
            self.subscribed_events = (subscribed_events + events.map(&:to_s)).uniq
          end

          def subscribe(publisher)
            s = new
            s.subscribe_to_publisher(publisher)
            s
          end
        end

        def subscribe_to_publisher(publisher)
          event_subscriptions.each do |event_constant, handler|
            publisher.subscribe(event_constant, &method(handler))
          end
        end

        protected

        def event_subscriptions
          @event_subscriptions ||= self.class.subscribed_events.each_with_object({}) do |name, h|
            handler = generate_handler_method_name(name)
            h[resolve_internal_event_constant(name)] = handler if respond_to?(handler, true)
          end
        end

        def resolve_internal_event_constant(event_name)
          s = event_name.to_s
          return s if %w[task. step. workflow. observability. custom.].any? { |p| s.start_with?(p) }

          "custom.#{s}"
        end

        def generate_handler_method_name(event_name)
          :"handle_#{event_name.to_s.tr('.', '_').gsub(/([a-z\d])([A-Z])/, '\1_\2').downcase}"
        end
      end
    end
  end

  # The registered event names (tasker-reference §1: task 8, step 10, workflow 19,
  # observability 8, export 6, test 5 = 55 distinct strings... and 'Test.Event').
  EVENT_NAMES = %w[
    task.initialize_requested task.start_requested task.completed task.failed task.retry_requested
    task.cancelled task.resolved_manually task.before_transition
    step.initialize_requested step.execution_requested step.before_handle step.handle step.completed
    step.failed step.retry_requested step.cancelled step.resolved_manually step.before_transition
    workflow.task_started workflow.task_completed workflow.task_failed workflow.step_completed
    workflow.step_failed workflow.viable_steps_discovered workflow.no_viable_steps
    workflow.orchestration_requested workflow.task_finalization_started
    workflow.task_finalization_completed workflow.task_reenqueue_started
    workflow.task_reenqueue_requested workflow.task_reenqueue_failed workflow.task_reenqueue_delayed
    workflow.task_state_unclear workflow.step_execution_failed workflow.viable_steps_batch_ready
    workflow.steps_execution_started workflow.steps_execution_completed
    observability.task.handle observability.task.enqueue observability.task.finalize
    observability.step.handle observability.step.find_viable observability.step.backoff
    observability.step.skip observability.step.max_retries_reached
    tasker.telemetry.cache_synced tasker.telemetry.export_requested tasker.telemetry.export_completed
    tasker.telemetry.export_failed tasker.telemetry.plugin_registered tasker.telemetry.plugin_unregistered
    test.event slow.event custom.event Test.Event
  ].freeze

  def self.boot!
    EVENT_NAMES.each { |n| Events::Publisher.instance.register_event(n) }
  end
end
