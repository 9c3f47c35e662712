// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package simulate

import "time"

// Tally counts a stream of events as the summary reports them: logical outcomes once,
// extra copies of terminal events (Event.Dup > 0) separately.
type Tally struct {
	Tasks          int // tasks whose first event (task.initialize_requested) was seen
	TasksCompleted int // logical task.completed
	TasksFailed    int // logical task.failed
	Steps          int // steps in the DAGs of those tasks

	StepAttempts      int // logical step.execution_requested (one per attempt)
	AttemptsCompleted int // logical step.completed
	AttemptsFailed    int // logical step.failed
	StepsCompleted    int // steps that completed (= AttemptsCompleted)
	StepsFailed       int // steps whose last attempt failed and that were not retried
	Retries           int // step.retry_requested
	Backoffs          int // observability.step.backoff

	Events     int // every event, copies included
	Duplicates int // extra copies
	ByName     map[string]int
	DupByName  map[string]int

	First, Last time.Time // simulated times of the first and last events
}

// NewTally returns an empty tally.
func NewTally() *Tally {
	return &Tally{ByName: map[string]int{}, DupByName: map[string]int{}}
}

// Add counts ev.
func (t *Tally) Add(ev *Event) {
	if t.Events == 0 {
		t.First = ev.Time
	}
	t.Last = ev.Time
	t.Events++
	t.ByName[ev.Name]++
	if ev.Dup > 0 {
		t.Duplicates++
		t.DupByName[ev.Name]++
		return
	}
	switch ev.Name {
	case TaskInitializeRequested:
		t.Tasks++
		t.Steps += ev.TotalSteps
	case TaskCompleted:
		t.TasksCompleted++
	case TaskFailed:
		t.TasksFailed++
	case StepExecutionRequested:
		t.StepAttempts++
	case StepCompleted:
		t.AttemptsCompleted++
		t.StepsCompleted++
	case StepFailed:
		t.AttemptsFailed++
		if ev.Final {
			t.StepsFailed++
		}
	case StepRetryRequested:
		t.Retries++
	case StepBackoff:
		t.Backoffs++
	}
}
