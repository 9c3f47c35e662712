// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package simulate

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Shape is the form of a task's step DAG.
type Shape string

// Shapes.
const (
	// Linear: a chain, each step depends on the one before (Steps steps).
	Linear Shape = "linear"
	// Diamond: one root, two branches that both depend on it, a join that depends on
	// both (4 steps).
	Diamond Shape = "diamond"
	// FanOut: one root, Width parallel steps that depend on it, a join that depends on
	// all of them (Width+2 steps).
	FanOut Shape = "fanout"
)

// WeightedShape is a shape and its relative weight in the mix of tasks.
type WeightedShape struct {
	Shape  Shape
	Weight int
}

// ParseShapes parses "linear,diamond=2,fanout" (weight 1 unless given; "fan-out" and
// "fan-out/fan-in" are accepted for fanout).
func ParseShapes(s string) ([]WeightedShape, error) {
	var out []WeightedShape
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, w := part, 1
		if i := strings.IndexByte(part, '='); i >= 0 {
			name = strings.TrimSpace(part[:i])
			n, err := strconv.Atoi(strings.TrimSpace(part[i+1:]))
			if err != nil || n < 0 {
				return nil, fmt.Errorf("shape %q: weight must be a non-negative integer", part)
			}
			w = n
		}
		var sh Shape
		switch strings.ToLower(name) {
		case "linear", "chain":
			sh = Linear
		case "diamond":
			sh = Diamond
		case "fanout", "fan-out", "fan-out/fan-in", "fanout-fanin", "fan-in":
			sh = FanOut
		default:
			return nil, fmt.Errorf("unknown shape %q (want linear, diamond or fanout)", name)
		}
		if w > 0 {
			out = append(out, WeightedShape{sh, w})
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no shape with a positive weight")
	}
	return out, nil
}

// Options drive a simulation. The zero value is not valid: start from Defaults.
type Options struct {
	Seed  uint64
	Tasks int

	Shapes []WeightedShape
	Steps  int // length of a linear task (≥ 1)
	Width  int // parallel steps of a fanout task (≥ 1)

	Start        time.Time     // simulated clock of the first task
	Arrival      time.Duration // mean time between task arrivals (exponential); 0 = all at Start
	StepDuration time.Duration // mean duration of a step attempt (log-normal)
	Jitter       float64       // sigma of the log-normal step duration (0 = every attempt takes StepDuration)

	FailProb      float64 // probability that an attempt fails
	RetryableProb float64 // probability that a failure may be retried (else the step fails for good)
	RetryLimit    int     // Tasker's retry_limit: a step is retried while attempts < retry_limit

	BackoffBase       time.Duration // exponential backoff: base_delay × multiplier^(attempt-1), capped
	BackoffMultiplier float64
	BackoffMax        time.Duration
	BackoffJitter     float64 // jitter_max_percentage (0 = jitter disabled)
	ServerBackoffProb float64 // probability a backoff is server_requested (Retry-After 1-5 s)

	// DuplicateProb is the probability that an occurrence is published with all the
	// copies Tasker publishes of it (1, the default: Tasker's behaviour); otherwise
	// only its primary copy is published (a de-duplicated stream).
	DuplicateProb float64
	// ExactDuplicates: every copy repeats the primary copy's payload byte for byte
	// (a forwarder's retransmission) instead of its own publisher's payload.
	ExactDuplicates bool

	StringIDs     bool // task_id/step_id (and step_ids) as JSON strings
	Orchestration bool // also workflow.* and observability.task.enqueue events

	Namespaces  []string // chosen per task; empty: no namespace field
	TaskVersion string   // version field; empty: none
	TSDigits    int      // fractional digits of builder payload timestamps (Tasker's builder: 0)

	// FirstTaskID, FirstStepID: the first ids; 0 derives them from the seed, so that
	// runs with different seeds never share a task or step id (AutoIDs).
	FirstTaskID int64
	FirstStepID int64

	Workers     int // job worker processes (each with its own pool threads)
	PoolThreads int // step-executor pool threads per worker
}

// AutoIDs returns the first task and step ids of seed: block b = (seed−1) mod 10^6
// starts task ids at b·10^6+1 and step ids at b·10^8+1 (seed 1: both 1), so runs with
// different seeds never collide below a million tasks and 10^8 steps.
func AutoIDs(seed uint64) (task, step int64) {
	b := int64((seed + 999_999) % 1_000_000)
	return b*1_000_000 + 1, b*100_000_000 + 1
}

// ids returns the effective first ids.
func (o *Options) ids() (task, step int64) {
	task, step = AutoIDs(o.Seed)
	if o.FirstTaskID > 0 {
		task = o.FirstTaskID
	}
	if o.FirstStepID > 0 {
		step = o.FirstStepID
	}
	return task, step
}

// Defaults returns the options taskergen starts from.
func Defaults() Options {
	return Options{
		Seed:              1,
		Tasks:             100,
		Shapes:            []WeightedShape{{Linear, 1}, {Diamond, 1}, {FanOut, 1}},
		Steps:             5,
		Width:             4,
		Start:             time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
		Arrival:           50 * time.Millisecond,
		StepDuration:      250 * time.Millisecond,
		Jitter:            0.6,
		FailProb:          0.1,
		RetryableProb:     0.9,
		RetryLimit:        3,
		BackoffBase:       time.Second,
		BackoffMultiplier: 2,
		BackoffMax:        30 * time.Second,
		BackoffJitter:     0.1,
		ServerBackoffProb: 0.1,
		DuplicateProb:     1,
		Orchestration:     true,
		Workers:           2,
		PoolThreads:       5,
	}
}

// Validate reports the first invalid option.
func (o *Options) Validate() error {
	prob := func(name string, p float64) error {
		if !(p >= 0 && p <= 1) {
			return fmt.Errorf("%s must be in [0, 1], got %v", name, p)
		}
		return nil
	}
	switch {
	case o.Tasks < 0:
		return errors.New("tasks must not be negative")
	case len(o.Shapes) == 0:
		return errors.New("no shapes")
	case o.Steps < 1 || o.Steps > 10000:
		return errors.New("steps must be in [1, 10000]")
	case o.Width < 1 || o.Width > 10000:
		return errors.New("width must be in [1, 10000]")
	case o.Arrival < 0, o.StepDuration < 0, o.BackoffBase < 0, o.BackoffMax < 0:
		return errors.New("durations must not be negative")
	case !(o.Jitter >= 0 && o.Jitter <= 3):
		return errors.New("jitter must be in [0, 3]")
	case o.RetryLimit < 0 || o.RetryLimit > 1000:
		return errors.New("retry limit must be in [0, 1000]")
	case !(o.BackoffMultiplier >= 1 && o.BackoffMultiplier <= 100):
		return errors.New("backoff multiplier must be in [1, 100]")
	case o.TSDigits < 0 || o.TSDigits > 9:
		return errors.New("timestamp digits must be in [0, 9]")
	case o.FirstTaskID < 0 || o.FirstStepID < 0:
		return errors.New("first ids must not be negative")
	case o.Workers < 1 || o.Workers > 1000 || o.PoolThreads < 1 || o.PoolThreads > 1000:
		return errors.New("workers and pool threads must be in [1, 1000]")
	}
	for _, s := range o.Shapes {
		if s.Weight < 0 {
			return errors.New("shape weights must not be negative")
		}
	}
	for _, p := range []struct {
		name string
		v    float64
	}{
		{"fail probability", o.FailProb}, {"retryable probability", o.RetryableProb},
		{"server backoff probability", o.ServerBackoffProb}, {"duplicate probability", o.DuplicateProb},
		{"backoff jitter", o.BackoffJitter},
	} {
		if err := prob(p.name, p.v); err != nil {
			return err
		}
	}
	return nil
}
