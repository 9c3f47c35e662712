# frozen_string_literal: true

# Copyright otelcol-tasker authors
# SPDX-License-Identifier: Apache-2.0
#
# ruby publish_workflow.rb <tasks> <summary.json>: boots the Tasker stand-in, installs
# the forwarder (configured from TASKER_FORWARDER_*), publishes the scripted workflow,
# lets the forwarder flush at exit, and writes what was published and the forwarder's
# stats as JSON.

require_relative 'fake_tasker'
require_relative '../tasker_forwarder'
require_relative 'workflow'

tasks = Integer(ARGV.fetch(0, '20'))
summary = ARGV.fetch(1)
wf = nil
sub = nil
# at_exit handlers run last-registered first: this one, registered before install!'s,
# runs after the forwarder's flush at exit.
at_exit do
  File.write(summary, JSON.generate(events: wf.counts.values.sum, by_name: wf.counts, expected: wf.expected,
                                    subscribed: sub.class.subscribed_events.size, stats: sub.forwarder.stats))
end
Tasker.boot!
sub = TaskerForwarder.install!
wf = TaskerWorkflow.new(Tasker::Events::Publisher.instance)
wf.script(tasks, Integer(ENV.fetch('FIRST_TASK_ID', '1')))
