// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerconnector

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tasker-systems/otelcol-tasker/internal/testconfig"
	"go.opentelemetry.io/collector/component"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	return testconfig.Load(t, component.MustNewType("tasker_spans"), name, NewFactory().CreateDefaultConfig().(*Config))
}

func TestConfig(t *testing.T) {
	def := loadConfig(t, "")
	require.NoError(t, def.Validate())
	assert.Equal(t, createDefaultConfig(), def)
	assert.Equal(t, "tasker", def.source())

	full := loadConfig(t, "full")
	require.NoError(t, full.Validate())
	assert.Equal(t, "billing_app", full.ServiceName)
	assert.Equal(t, "billing-prod", full.source())
	assert.Equal(t, StepSpansAdd, full.Traces.StepSpans)
	assert.Equal(t, StateConfig{MaxAttempts: 500, MaxTasks: 2000, AttemptTimeout: 2 * time.Minute, NameWait: 10 * time.Second, TaskTTL: 30 * time.Minute}, full.State)
	assert.False(t, full.Metrics.TaskerStepDuration.Enabled)
	assert.True(t, full.Metrics.TaskerStepOutcomes.Enabled)

	err := loadConfig(t, "bad").Validate()
	require.Error(t, err)
	for _, want := range []string{"service_name must not be empty", `traces.step_spans: "sometimes"`, "state.max_attempts must be positive",
		"state.max_tasks must be positive", "state.attempt_timeout must be positive", "state.name_wait must not be negative"} {
		assert.Contains(t, err.Error(), want)
	}
	assert.ErrorContains(t, loadConfig(t, "short_ttl").Validate(), "state.task_ttl (1s) must be at least state.attempt_timeout (5m0s)")
}
