// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package simulate

import "time"

// TaskInfo is what all the items of one task share.
type TaskInfo struct {
	Task       int // index of the task, in order of arrival (0-based)
	TaskID     int64
	TaskName   string
	Namespace  string
	Version    string
	TotalSteps int // steps of the task's DAG
}

// Failure describes a failed attempt (step.failed) or task (task.failed).
type Failure struct {
	ErrorClass   string
	ErrorMessage string
	Backtrace    []string
}

// Occurrence is what an item stands for in the summary's counts. Only one item of
// each occurrence (its primary publication) carries it; the other copies carry
// OccNone.
type Occurrence uint8

// Occurrences.
const (
	OccNone             Occurrence = iota
	OccTaskCreated                 // the task was created (initializer's task.start_requested)
	OccRunStarted                  // a TaskRunnerJob execution began (its first log line)
	OccTaskCompleted               // the finalizer's task.completed
	OccTaskFailed                  // the finalizer's task.failed
	OccAttemptStarted              // the executor's step.execution_requested
	OccAttemptCompleted            // the executor's step.completed
	OccAttemptFailed               // the executor's step.failed
	OccBackoff                     // observability.step.backoff
)

// Item is one thing Tasker does that a collector can see: an event publication
// (Name set), the structured or plain log entry written just before it or on its own
// (Log set), or both. Items carry their simulated time, the payload in order (Fields,
// which start with `timestamp`), and the facts writers and tallies need as typed
// fields, so that they need not look into the payload.
type Item struct {
	*TaskInfo

	Time time.Time
	Name string // the event published; "" for a log entry alone

	// Publisher is the Tasker component that published the event: executor,
	// state_machine, handler, initializer, job, coordinator, discovery, finalizer,
	// backoff_calculator.
	Publisher string

	Seq int // position among the task's items
	// Copy is 0 for the primary publication of an occurrence and n ≥ 1 for the nth
	// other copy Tasker publishes of it (state machine, handler, coordinator...).
	Copy int
	Occ  Occurrence
	// Final marks a step's last terminal occurrence: it completed, or failed and will
	// not run again.
	Final bool

	Run int // the TaskRunnerJob execution (1-based) the item belongs to; 0: task creation

	StepID   int64 // 0: the item is not about a step
	StepName string
	Attempt  int // the step attempt (1-based) the item belongs to

	Status   string        // state of the task or step after the item
	Duration time.Duration // the attempt's run time (terminal step items), the task's age (task end)
	Failure  *Failure      // failed attempts and tasks

	Fields []Field

	Log *LogEntry
}

// Event is the former name of Item.
type Event = Item

// Level is a log severity, in Ruby Logger's order.
type Level uint8

// Levels.
const (
	LevelDebug Level = iota
	LevelInfo
	LevelWarn
	LevelError
)

// Thread is a Ruby thread of a Tasker process: its object id (hex, as thread_id) and
// the correlation id it keeps (Thread.current[:tasker_correlation_id]).
type Thread struct {
	ID   string
	Corr string
}

// LogEntry is one entry Tasker (or ActiveJob) writes through Rails.logger.
type LogEntry struct {
	Level Level
	// Plain: a plain Rails.logger message (Text, possibly several lines), not a
	// log_structured record.
	Plain bool
	// Text is a plain entry's text, or a structured record's message.
	Text      string
	Component string // structured: the logging class, underscored
	Process   int    // 0: the web process that created the task; 1...: job workers
	ThreadID  string
	Corr      string // correlation_id
	// Tags: ActiveSupport::TaggedLogging tags of the thread, written before the
	// message on the first line ("[ActiveJob] [Tasker::TaskRunnerJob] [<job id>] ").
	Tags string
	// Fields: a structured record's fields after Tasker's header (timestamp,
	// correlation_id, component, message, environment, tasker_version, process_id,
	// thread_id); a key that repeats a header key replaces its value in place.
	Fields []Field
	// Copy: the second line an occurrence gets (Tasker logs "Step started",
	// "Step completed" and "Step failed" from both the executor and the handler).
	Copy bool
}

// Entity is what a Tasker log helper would call the event's subject: "task",
// "step" or "orchestration".
func (e *Item) Entity() string {
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
func (e *Item) Terminal() bool {
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
	TaskBeforeTransition    = "task.before_transition"
	TaskCompleted           = "task.completed"
	TaskFailed              = "task.failed"
	TaskEnqueue             = "observability.task.enqueue"

	StepExecutionRequested = "step.execution_requested"
	StepBeforeHandle       = "step.before_handle"
	StepCompleted          = "step.completed"
	StepFailed             = "step.failed"
	StepBackoff            = "observability.step.backoff"

	WorkflowTaskStarted           = "workflow.task_started"
	WorkflowViableStepsDiscovered = "workflow.viable_steps_discovered"
	WorkflowNoViableSteps         = "workflow.no_viable_steps"
	WorkflowStepsExecutionStarted = "workflow.steps_execution_started"
	WorkflowStepsExecutionDone    = "workflow.steps_execution_completed"
	WorkflowFinalizationStarted   = "workflow.task_finalization_started"
	WorkflowFinalizationCompleted = "workflow.task_finalization_completed"
)

// Names lists every event name the simulation can publish.
func Names() []string {
	return []string{
		TaskStartRequested, TaskEnqueue, TaskBeforeTransition, WorkflowTaskStarted,
		WorkflowViableStepsDiscovered, WorkflowStepsExecutionStarted,
		StepExecutionRequested, StepBeforeHandle, StepCompleted, StepFailed, StepBackoff,
		WorkflowStepsExecutionDone, WorkflowNoViableSteps, WorkflowFinalizationStarted,
		TaskInitializeRequested, TaskCompleted, TaskFailed, WorkflowFinalizationCompleted,
	}
}
