# frozen_string_literal: true

# Copyright otelcol-tasker authors
# SPDX-License-Identifier: Apache-2.0
#
# A scripted workflow published in Tasker's real pattern (tasker-reference §1.1-§1.3,
# §1.8): per task creation task.start_requested + observability.task.enqueue; per
# TaskRunnerJob run observability.task.enqueue, task.before_transition,
# task.start_requested ×2 (state machine, initializer), workflow.task_started, per loop
# iteration workflow.viable_steps_discovered ×2 and steps_execution_started/completed,
# per step attempt step.execution_requested ×3 (attempt_number n-1), step.before_handle,
# the terminal event ×3 (handler n-1, state machine n, executor n), then
# workflow.no_viable_steps ×2, workflow.task_finalization_started ×2, the task's
# transition and terminal event ×2, workflow.task_finalization_completed ×2.

require 'bigdecimal'

class TaskerWorkflow
  attr_reader :counts, :expected

  def initialize(publisher)
    @pub = publisher
    @counts = Hash.new(0)
    @expected = Hash.new(0)
  end

  def publish(name, payload)
    @counts[name] += 1
    @pub.publish(name, payload)
  end

  def iso
    Time.now.utc.iso8601 # the builder's whole-second string
  end

  def step_payload(task, step, attempt, type, extra = {})
    { timestamp: iso, task_id: task[:id], step_id: step[:id], step_name: step[:name], started_at: nil,
      completed_at: nil, attempt_number: attempt, retry_limit: step.fetch(:limit, 3), event_type: type }.merge(extra)
  end

  def task_payload(task, type, extra = {})
    { timestamp: iso, task_id: task[:id], task_name: task[:name], started_at: iso, completed_at: nil,
      task_type: 'Tasker::Task', event_type: type, total_steps: task[:steps].size }.merge(extra)
  end

  def task_sm(task, to)
    { timestamp: Time.now, task_id: task[:id], task_name: task[:name], task_context: { 'order_id' => task[:id] },
      from_state: nil, to_state: to, transitioned_at: Time.now }
  end

  def create(task)
    publish('task.start_requested', task_payload(task, 'started', step_count: task[:steps].size))
    publish('observability.task.enqueue', task_payload(task, 'enqueue', task_context: { 'order_id' => task[:id] }))
  end

  def attempt(task, step)
    n = step.fetch(:attempt, 1)
    publish('step.execution_requested', step_payload(task, step, n - 1, 'started', step_inputs: { 'order_id' => task[:id] }, step_dependencies: []))
    publish('step.execution_requested', step_payload(task, step, n - 1, 'started', from_state: nil, to_state: 'in_progress', transitioned_at: Time.now))
    publish('step.execution_requested', step_payload(task, step, n - 1, 'started'))
    publish('step.before_handle', step_payload(task, step, n - 1, 'before_handle'))
    if step[:fail]
      err = { error_message: step[:fail], exception_class: 'StandardError' }
      publish('step.failed', step_payload(task, step, n - 1, 'failed', err.merge(error_class: 'Net::ReadTimeout', backtrace: ['app/x.rb:1'])))
      publish('step.failed', step_payload(task, step, n, 'failed', err.merge(backtrace: "app/x.rb:1\napp/y.rb:2", from_state: nil, to_state: 'error', transitioned_at: Time.now)))
      publish('step.failed', step_payload(task, step, n, 'failed', err.merge(error_class: 'Net::ReadTimeout', backtrace: ['app/x.rb:1'])))
      @expected['attempts_failed'] += 1
    else
      publish('step.completed', step_payload(task, step, n - 1, 'completed', execution_duration: 0.0, step_results: { 'ok' => true }))
      publish('step.completed', step_payload(task, step, n, 'completed', execution_duration: 0.0, from_state: nil, to_state: 'complete', transitioned_at: Time.now))
      publish('step.completed', step_payload(task, step, n, 'completed', execution_duration: -8.1e-05))
      @expected['attempts_completed'] += 1
    end
  end

  def run(task, ending)
    publish('observability.task.enqueue', task_payload(task, 'enqueue', job_id: "job-#{task[:id]}", queue_name: 'default', attempt: 2))
    publish('task.before_transition', { timestamp: Time.now, task_id: task[:id], from_state: nil, to_state: 'in_progress', transition_event: 'task.start_requested' })
    publish('task.start_requested', task_sm(task, 'in_progress'))
    publish('task.start_requested', task_payload(task, 'started', task_context: { 'order_id' => task[:id] }))
    publish('workflow.task_started', { timestamp: iso, event_type: 'task_started', orchestration_event: true, correlation_id: "tsk_#{task[:id]}", task_id: task[:id] })
    ids = task[:steps].map { |s| s[:id] }
    publish('workflow.viable_steps_discovered', { timestamp: iso, event_type: 'viable_steps_discovered', orchestration_event: true, viable_count: ids.size,
                                                 step_names: task[:steps].map { |s| s[:name] }, task_id: task[:id], step_ids: ids, processing_mode: 'concurrent', step_count: ids.size })
    publish('workflow.viable_steps_discovered', { timestamp: iso, event_type: 'viable_steps_discovered', orchestration_event: true, task_id: task[:id],
                                                 step_ids: ids, processing_mode: 'concurrent', step_count: ids.size })
    publish('workflow.steps_execution_started', { timestamp: iso, task_id: task[:id], task_name: task[:name], step_count: ids.size, processing_mode: 'concurrent' })
    task[:steps].each { |s| attempt(task, s) }
    ok = task[:steps].count { |s| !s[:fail] }
    publish('workflow.steps_execution_completed', { timestamp: iso, task_id: task[:id], task_name: task[:name], processed_count: ids.size, successful_count: ok })
    2.times { publish('workflow.no_viable_steps', { timestamp: iso, task_id: task[:id], reason: 'No steps ready for execution' }) }
    fin = { task_id: task[:id], processed_steps_count: ids.size }
    publish('workflow.task_finalization_started', fin.merge(timestamp: iso))
    publish('workflow.task_finalization_started', fin.merge(timestamp: iso, execution_status: 'all_complete', health_status: 'healthy', completion_percentage: BigDecimal('100.0')))
    to = { 'completed' => 'complete', 'failed' => 'error', 'pending' => 'pending' }.fetch(ending)
    publish('task.before_transition', { timestamp: Time.now, task_id: task[:id], from_state: nil, to_state: to, transition_event: "task.#{ending}" })
    case ending
    when 'completed'
      publish('task.completed', task_sm(task, 'complete'))
      publish('task.completed', task_payload(task, 'completed', completed_at: Time.now, completion_percentage: BigDecimal('100.0'), health_status: 'healthy'))
      @expected['tasks_completed'] += 1
    when 'failed'
      publish('task.failed', task_sm(task, 'error'))
      publish('task.failed', task_payload(task, 'failed', error_message: 'steps_in_error_state', error_steps: [], failed_steps_count: 1))
      @expected['tasks_failed'] += 1
    else
      publish('task.initialize_requested', task_sm(task, 'pending'))
      publish('task.initialize_requested', task_payload(task, 'pending_transition', reason: 'waiting_for_step_completion'))
    end
    2.times { publish('workflow.task_finalization_completed', fin.merge(timestamp: iso, final_status: to)) }
  end

  # script: n tasks of three steps; every fifth fails for good (retry_limit 1), every
  # seventh fails retry-eligible and is run again after an outside reset.
  def script(n, first_id = 1)
    n.times do |i|
      id = first_id + i
      steps = [{ id: id * 10 + 1, name: 'validate' }, { id: id * 10 + 2, name: 'charge' }, { id: id * 10 + 3, name: 'notify' }]
      task = { id: id, name: 'order_fulfillment', steps: steps }
      create(task)
      if (i % 5) == 4
        steps[1][:fail] = 'card declined'
        steps[1][:limit] = 1
        run(task.merge(steps: steps[0, 2]), 'failed')
      elsif (i % 7) == 6
        steps[2][:fail] = '503 from mailer'
        run(task, 'pending')
        steps[2].delete(:fail)
        steps[2][:attempt] = 2
        run(task.merge(steps: [steps[2]]), 'completed')
      else
        run(task, 'completed')
      end
    end
  end
end
