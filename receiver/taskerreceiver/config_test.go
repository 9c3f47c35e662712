// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"

	"github.com/tasker-systems/otelcol-tasker/internal/testconfig"
	"github.com/tasker-systems/otelcol-tasker/receiver/taskerreceiver/internal/metadata"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	return testconfig.Load(t, metadata.Type, name, createDefaultConfig().(*Config))
}

func TestLoadConfigDefault(t *testing.T) {
	cfg := loadConfig(t, "")
	require.NoError(t, confmap.Validate(cfg))
	require.True(t, cfg.HTTP.HasValue())
	assert.False(t, cfg.Logs.HasValue())
	h := cfg.HTTP.Get()
	assert.Equal(t, DefaultEndpoint, h.ServerConfig.NetAddr.Endpoint)
	assert.Equal(t, DefaultPath, h.Path)
	assert.Equal(t, DefaultHealthPath, h.HealthPath)
	assert.Equal(t, int64(DefaultMaxRequestBodySize), h.ServerConfig.MaxRequestBodySize)
	assert.Equal(t, "tasker", cfg.ServiceName)
	assert.Equal(t, "tasker", cfg.source())
	assert.Equal(t, DefaultDedupeWindow, cfg.Dedupe.Window)
	assert.Equal(t, DefaultSpansMaxOpen, cfg.Spans.MaxOpen)
	assert.Equal(t, DefaultTaskEndWait, cfg.Spans.TaskEndWait)
	assert.Equal(t, MetricNamingOTel, cfg.MetricNaming)
	assert.True(t, cfg.Metrics.TaskerEvents.Enabled)
	assert.True(t, cfg.Logs.GetOrInsertDefault().JoinContinuations, "continuations join by default")
}

func TestLoadConfigFull(t *testing.T) {
	cfg := loadConfig(t, "full")
	require.NoError(t, confmap.Validate(cfg))
	h := cfg.HTTP.Get()
	assert.Equal(t, "0.0.0.0:4320", h.ServerConfig.NetAddr.Endpoint)
	assert.Equal(t, "/events", h.Path)
	assert.Equal(t, "/healthz", h.HealthPath)
	assert.Equal(t, "s3cret-s3cret", string(h.Secret))
	assert.Equal(t, int64(1<<20), h.ServerConfig.MaxRequestBodySize)
	require.True(t, cfg.Logs.HasValue())
	l := cfg.Logs.Get()
	assert.Equal(t, []string{"/var/log/app/*.log"}, l.Include)
	assert.Equal(t, []string{"/var/log/app/*.gz"}, l.Exclude)
	assert.Equal(t, "beginning", l.StartAt)
	assert.Equal(t, 500*time.Millisecond, l.PollInterval)
	assert.Equal(t, `^\{`, l.SplitConfig.LineStartPattern)
	assert.False(t, l.JoinContinuations)
	assert.Equal(t, component.MustNewID("file_storage"), *l.Storage)
	assert.True(t, l.RetryOnFailure.Enabled)
	assert.Equal(t, time.Second, l.RetryOnFailure.InitialInterval)
	assert.Equal(t, 10*time.Minute, l.RetryOnFailure.MaxElapsedTime)
	assert.Equal(t, 5*time.Second, l.RetryOnFailure.MaxInterval, "unset options keep their defaults")
	assert.Equal(t, "billing", cfg.ServiceName)
	assert.Equal(t, "billing-prod", cfg.source())
	assert.Equal(t, "production", cfg.DeploymentEnvironment)
	assert.Equal(t, 5*time.Minute, cfg.Dedupe.Window)
	assert.Equal(t, 5000, cfg.Dedupe.MaxEntries)
	assert.Equal(t, 2000, cfg.Spans.MaxOpen)
	assert.Equal(t, 30*time.Minute, cfg.Spans.MaxAge)
	assert.Equal(t, 2*time.Second, cfg.Spans.TaskEndWait)
	assert.Equal(t, MetricNamingTasker, cfg.MetricNaming)
	require.Len(t, cfg.Routes, 3)
	assert.True(t, cfg.Routes[0].Drop)
	assert.Equal(t, []string{"logs", "traces"}, cfg.Routes[1].Signals)
	assert.InDelta(t, 0.1, *cfg.Routes[2].SamplingRate, 1e-9)
	assert.False(t, cfg.Metrics.TaskerEvents.Enabled)
	assert.True(t, cfg.Metrics.TaskerTaskOutcomes.Enabled)
}

func TestConfigNoInput(t *testing.T) {
	err := confmap.Validate(loadConfig(t, "none"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no input configured: set http, logs, or both")
}

func TestInvalidConfigReportsEveryProblemOnce(t *testing.T) {
	err := confmap.Validate(loadConfig(t, "invalid"))
	require.Error(t, err)
	for _, want := range []string{
		`http: path must start with '/', got "events"`,
		`http: health_path must start with '/'`,
		"logs: include must list at least one file pattern",
		`logs: start_at must be "beginning" or "end", got "middle"`,
		"service_name must not be empty",
		"dedupe: window must not be negative, got -1s",
		"spans: max_open must be at least 1, got 0",
		"spans: task_end_wait must not be negative, got -1s",
		"spans: max_age must be positive, got 0s",
		`metric_naming "prometheus" is not supported`,
		`routes[0]: match "/([/": bad regular expression`,
		`routes[1]: unknown signal "profiles"`,
		"routes[1]: sampling_rate must be between 0 and 1, got 2",
	} {
		assert.Equal(t, 1, strings.Count(err.Error(), want), "%q once in: %v", want, err)
	}
}

func TestRouteMatchKinds(t *testing.T) {
	for _, tc := range []struct {
		match, name string
		want        bool
	}{
		{"step.completed", "step.completed", true},
		{"step.completed", "step.completed2", false},
		{"step.*", "step.failed", true},
		{"*.failed", "workflow.task_reenqueue_failed", false},
		{"*.failed", "task.failed", true},
		{"/reenqueue/", "workflow.task_reenqueue_failed", true},
		{"/^task\\./", "step.completed", false},
	} {
		m, err := compileMatch(tc.match)
		require.NoError(t, err)
		assert.Equal(t, tc.want, m(tc.name), "%s ~ %s", tc.match, tc.name)
	}
}
