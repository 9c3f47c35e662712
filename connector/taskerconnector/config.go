// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerconnector

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tasker-systems/otelcol-tasker/connector/taskerconnector/internal/metadata"
)

// Defaults.
const (
	DefaultServiceName    = "tasker"
	DefaultMaxAttempts    = 10_000
	DefaultMaxTasks       = 100_000
	DefaultAttemptTimeout = 5 * time.Minute
	DefaultNameWait       = 30 * time.Second
	DefaultTaskTTL        = time.Hour

	// StepSpansReplace replaces each attempt's Tasker instants (and each ended task
	// span) by one span with real start and end; StepSpansAdd keeps Tasker's spans and
	// adds them; StepSpansOff passes every span through as it came.
	StepSpansReplace = "replace"
	StepSpansAdd     = "add"
	StepSpansOff     = "off"
)

// Config is the tasker_spans connector configuration.
type Config struct {
	// ServiceName is Tasker's telemetry.service_name: the instrumentation scope name of
	// its spans and the prefix of their attribute keys ("<service_name>.task_id").
	ServiceName string `mapstructure:"service_name"`
	// Source names the Tasker installation in the deterministic ids, as the tasker
	// receiver's `source` does. Default: service_name.
	Source string `mapstructure:"source"`
	// DeploymentEnvironment is the deployment in the deterministic ids, as the tasker
	// receiver's `deployment_environment` (and a Tasker log line's `environment`) is:
	// set it to the same value so that both ways in give a task the same ids. Tasker's
	// spans name no deployment. Default: empty.
	DeploymentEnvironment string `mapstructure:"deployment_environment"`
	// Traces configures the traces → traces side.
	Traces TracesConfig `mapstructure:"traces"`
	// State bounds what is held between batches.
	State StateConfig `mapstructure:"state"`

	// MetricsBuilderConfig enables or disables each metric (metrics::<name>::enabled).
	metadata.MetricsBuilderConfig `mapstructure:",squash"`

	_ struct{}
}

// TracesConfig configures the traces → traces side.
type TracesConfig struct {
	// StepSpans is replace (default), add or off.
	StepSpans string `mapstructure:"step_spans"`
	_         struct{}
}

// StateConfig bounds the state held between batches.
type StateConfig struct {
	// MaxAttempts bounds the attempts held (waiting for their terminal span, or for
	// the name of their task); beyond it the oldest is emitted if its outcome is known,
	// else given up on.
	MaxAttempts int `mapstructure:"max_attempts"`
	// MaxTasks bounds the tasks remembered (name, outcomes counted, last attempt of
	// each step).
	MaxTasks int `mapstructure:"max_tasks"`
	// AttemptTimeout: an attempt with no terminal span this long after its first span
	// is given up on.
	AttemptTimeout time.Duration `mapstructure:"attempt_timeout"`
	// NameWait: an ended attempt whose task name is not known yet (Tasker's step spans
	// do not carry it; the task span that does is exported when the task ends) is held
	// this long for it, then emitted without it.
	NameWait time.Duration `mapstructure:"name_wait"`
	// TaskTTL: a task not seen for this long is forgotten.
	TaskTTL time.Duration `mapstructure:"task_ttl"`
	_       struct{}
}

func createDefaultConfig() *Config {
	return &Config{
		ServiceName: DefaultServiceName,
		Traces:      TracesConfig{StepSpans: StepSpansReplace},
		State: StateConfig{
			MaxAttempts:    DefaultMaxAttempts,
			MaxTasks:       DefaultMaxTasks,
			AttemptTimeout: DefaultAttemptTimeout,
			NameWait:       DefaultNameWait,
			TaskTTL:        DefaultTaskTTL,
		},
		MetricsBuilderConfig: metadata.NewDefaultMetricsBuilderConfig(),
	}
}

// source is the namespace of the ids: Source, else ServiceName.
func (c *Config) source() string { return cmp.Or(c.Source, c.ServiceName) }

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.ServiceName) == "" {
		errs = append(errs, errors.New("service_name must not be empty (Tasker's default is \"tasker\")"))
	}
	switch c.Traces.StepSpans {
	case StepSpansReplace, StepSpansAdd, StepSpansOff:
	default:
		errs = append(errs, fmt.Errorf("traces.step_spans: %q is not one of %q, %q, %q", c.Traces.StepSpans, StepSpansReplace, StepSpansAdd, StepSpansOff))
	}
	if c.State.MaxAttempts <= 0 {
		errs = append(errs, fmt.Errorf("state.max_attempts must be positive, got %d", c.State.MaxAttempts))
	}
	if c.State.MaxTasks <= 0 {
		errs = append(errs, fmt.Errorf("state.max_tasks must be positive, got %d", c.State.MaxTasks))
	}
	if c.State.AttemptTimeout <= 0 {
		errs = append(errs, fmt.Errorf("state.attempt_timeout must be positive, got %s", c.State.AttemptTimeout))
	}
	if c.State.NameWait < 0 {
		errs = append(errs, fmt.Errorf("state.name_wait must not be negative, got %s", c.State.NameWait))
	}
	if c.State.TaskTTL < c.State.AttemptTimeout || c.State.TaskTTL < c.State.NameWait {
		errs = append(errs, fmt.Errorf("state.task_ttl (%s) must be at least state.attempt_timeout (%s) and state.name_wait (%s)",
			c.State.TaskTTL, c.State.AttemptTimeout, c.State.NameWait))
	}
	return errors.Join(errs...)
}
