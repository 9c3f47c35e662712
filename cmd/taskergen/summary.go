// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/json"

	"github.com/tasker-systems/otelcol-tasker/cmd/taskergen/internal/simulate"
)

// Summary is exactly what a run produced. README.md defines every field.
type Summary struct {
	Seed        uint64 `json:"seed"`
	Start       string `json:"start"`
	End         string `json:"end"`
	Interrupted bool   `json:"interrupted,omitempty"`

	Tasks          int `json:"tasks"`
	TasksCompleted int `json:"tasks_completed"`
	TasksFailed    int `json:"tasks_failed"`

	Steps          int `json:"steps"`
	StepsCompleted int `json:"steps_completed"`
	StepsFailed    int `json:"steps_failed"`
	StepsNotRun    int `json:"steps_not_run"`
	JobRuns        int `json:"job_runs"`

	StepAttempts      int `json:"step_attempts"`
	AttemptsCompleted int `json:"attempts_completed"`
	AttemptsFailed    int `json:"attempts_failed"`
	Retries           int `json:"retries"`
	Backoffs          int `json:"backoffs"`

	SpansExpected int `json:"spans_expected"`

	EventsTotal       int            `json:"events_total"`
	EventsUnique      int            `json:"events_unique"`
	DuplicatesEmitted int            `json:"duplicates_emitted"`
	EventsByName      map[string]int `json:"events_by_name"`
	DuplicatesByName  map[string]int `json:"duplicates_by_name"`

	StdoutEvents int `json:"stdout_events"`

	LogEntries      int            `json:"log_entries"`
	LogLines        int            `json:"log_lines"`
	LogDuplicates   int            `json:"log_duplicates"`
	LogLinesByName  map[string]int `json:"log_lines_by_name"`
	LogPlainEntries int            `json:"log_plain_entries"`
	PlainLines      int            `json:"plain_lines"`
	LogFileLines    int            `json:"log_file_lines"`
	LogRotations    int            `json:"log_rotations"`

	HTTPRequests int   `json:"http_requests"`
	HTTPRetries  int   `json:"http_retries"`
	HTTPBatches  int   `json:"http_batches"`
	HTTPEvents   int   `json:"http_events"`
	HTTPBytes    int64 `json:"http_bytes"`
}

func newSummary(seed uint64, t *simulate.Tally) *Summary {
	s := &Summary{
		Seed:              seed,
		Tasks:             t.Tasks,
		TasksCompleted:    t.TasksCompleted,
		TasksFailed:       t.TasksFailed,
		Steps:             t.Steps,
		StepsCompleted:    t.StepsCompleted,
		StepsFailed:       t.StepsFailed,
		StepsNotRun:       t.Steps - t.StepsCompleted - t.StepsFailed,
		JobRuns:           t.Runs,
		StepAttempts:      t.StepAttempts,
		AttemptsCompleted: t.AttemptsCompleted,
		AttemptsFailed:    t.AttemptsFailed,
		Retries:           t.Retries,
		Backoffs:          t.Backoffs,
		SpansExpected:     t.Tasks + t.StepAttempts,
		EventsTotal:       t.Events,
		EventsUnique:      t.Events - t.Duplicates,
		DuplicatesEmitted: t.Duplicates,
		EventsByName:      t.ByName,
		DuplicatesByName:  t.DupByName,
		LogLinesByName:    map[string]int{},
	}
	if t.Events > 0 {
		s.Start = simulate.ISO8601(t.First, 3)
		s.End = simulate.ISO8601(t.Last, 3)
	}
	return s
}

func (s *Summary) JSON() []byte {
	b, _ := json.MarshalIndent(s, "", "  ")
	return append(b, '\n')
}
