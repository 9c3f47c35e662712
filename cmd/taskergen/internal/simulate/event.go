// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package simulate

import "time"

// TaskInfo is what all the events of one task share.
type TaskInfo struct {
	Task          int // index of the task, in order of arrival (0-based)
	TaskID        int64
	TaskName      string
	Namespace     string
	Version       string
	CorrelationID string
	ThreadID      string // the Ruby thread that "published" its events (hex, for log lines)
	TotalSteps    int    // steps of the task's DAG
}

// Failure describes a failed attempt (step.failed) or task (task.failed).
type Failure struct {
	ErrorClass   string
	ErrorMessage string
	Backtrace    []string
}

// Event is one published Tasker event: its name, its simulated time, its payload in
// order (Fields, which start with `timestamp`), and the facts writers and tallies need
// as typed fields (so that they need not look into the payload).
type Event struct {
	*TaskInfo

	Time time.Time
	Name string

	Seq int // position among the task's events
	// Dup is 0 for the logical event and n ≥ 1 for the nth extra copy that Tasker
	// publishes of one terminal event (state machine, executor, handler).
	Dup int
	// Final marks a step's last terminal event: step.completed, or a step.failed that
	// will not be retried (the step ends in error).
	Final bool

	StepID   int64 // 0: the event is not about a step
	StepName string

	Attempt    int    // attempt_number (step events)
	RetryLimit int    // retry_limit (step events)
	Status     string // state of the task or step after the event (task_status/step_status)

	// Duration: the attempt's execution duration (step.completed/failed), the task's
	// duration (task.completed/failed), the backoff (observability.step.backoff).
	Duration    time.Duration
	HasDuration bool

	Failure *Failure // step.failed, task.failed

	Fields []Field
}

// Entity is what a Tasker log helper would call the event's subject: "task",
// "step" or "orchestration".
func (e *Event) Entity() string {
	n := e.Name
	switch {
	case len(n) > 5 && n[:5] == "task.", len(n) > 19 && n[:19] == "observability.task.":
		return "task"
	case len(n) > 5 && n[:5] == "step.", len(n) > 19 && n[:19] == "observability.step.":
		return "step"
	}
	return "orchestration"
}

// Terminal reports whether the event ends a task run or a step attempt.
func (e *Event) Terminal() bool {
	switch e.Name {
	case TaskCompleted, TaskFailed, StepCompleted, StepFailed:
		return true
	}
	return false
}

// Event names (tasker-reference §1).
const (
	TaskInitializeRequested = "task.initialize_requested"
	TaskStartRequested      = "task.start_requested"
	TaskCompleted           = "task.completed"
	TaskFailed              = "task.failed"
	TaskEnqueue             = "observability.task.enqueue"

	StepExecutionRequested = "step.execution_requested"
	StepBeforeHandle       = "step.before_handle"
	StepCompleted          = "step.completed"
	StepFailed             = "step.failed"
	StepRetryRequested     = "step.retry_requested"
	StepBackoff            = "observability.step.backoff"

	WorkflowTaskStarted           = "workflow.task_started"
	WorkflowViableStepsDiscovered = "workflow.viable_steps_discovered"
	WorkflowStepsExecutionStarted = "workflow.steps_execution_started"
	WorkflowStepsExecutionDone    = "workflow.steps_execution_completed"
	WorkflowTaskReenqueueDelayed  = "workflow.task_reenqueue_delayed"
	WorkflowFinalizationStarted   = "workflow.task_finalization_started"
	WorkflowFinalizationCompleted = "workflow.task_finalization_completed"
)

// Names lists every event name the simulation can produce.
func Names() []string {
	return []string{
		TaskInitializeRequested, TaskEnqueue, TaskStartRequested, WorkflowTaskStarted,
		WorkflowViableStepsDiscovered, WorkflowStepsExecutionStarted,
		StepRetryRequested, StepExecutionRequested, StepBeforeHandle, StepCompleted, StepFailed, StepBackoff,
		WorkflowStepsExecutionDone, WorkflowTaskReenqueueDelayed,
		WorkflowFinalizationStarted, TaskCompleted, TaskFailed, WorkflowFinalizationCompleted,
	}
}
