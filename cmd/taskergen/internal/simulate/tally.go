// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package simulate

import "time"

// Tally counts a stream of items as the summary reports them: occurrences once (on
// their primary item), publications and copies separately.
type Tally struct {
	Tasks          int // tasks created
	TasksCompleted int
	TasksFailed    int
	Steps          int // steps in the DAGs of those tasks
	Runs           int // TaskRunnerJob executions

	StepAttempts      int
	AttemptsCompleted int
	AttemptsFailed    int
	StepsCompleted    int // steps that completed (= AttemptsCompleted)
	StepsFailed       int // steps whose last attempt failed and that will not run again
	Retries           int // attempts after a failed attempt of the same step
	Backoffs          int // observability.step.backoff

	Events     int // every publication, copies included
	Duplicates int // copies (Item.Copy > 0)
	ByName     map[string]int
	DupByName  map[string]int

	First, Last time.Time // simulated times of the first and last items
	items       int
}

// NewTally returns an empty tally.
func NewTally() *Tally {
	return &Tally{ByName: map[string]int{}, DupByName: map[string]int{}}
}

// Add counts it.
func (t *Tally) Add(it *Item) {
	if t.items == 0 {
		t.First = it.Time
	}
	t.items++
	t.Last = it.Time
	if it.Name != "" {
		t.Events++
		t.ByName[it.Name]++
		if it.Copy > 0 {
			t.Duplicates++
			t.DupByName[it.Name]++
		}
	}
	switch it.Occ {
	case OccTaskCreated:
		t.Tasks++
		t.Steps += it.TotalSteps
	case OccRunStarted:
		t.Runs++
	case OccTaskCompleted:
		t.TasksCompleted++
	case OccTaskFailed:
		t.TasksFailed++
	case OccAttemptStarted:
		t.StepAttempts++
		if it.Attempt > 1 {
			t.Retries++
		}
	case OccAttemptCompleted:
		t.AttemptsCompleted++
		t.StepsCompleted++
	case OccAttemptFailed:
		t.AttemptsFailed++
		if it.Final {
			t.StepsFailed++
		}
	case OccBackoff:
		t.Backoffs++
	}
}
