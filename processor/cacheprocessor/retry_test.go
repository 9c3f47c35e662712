// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/confmap"
)

// retry_on_failure loads with exporterhelper's keys; the deprecated retry_backoff and
// max_retry_backoff still load and override initial_interval and max_interval.
func TestRetryOnFailureConfig(t *testing.T) {
	r := loadConfig(t, "retry")
	require.NoError(t, confmap.Validate(r))
	assert.Equal(t, configretry.BackOffConfig{
		Enabled: true, InitialInterval: 200 * time.Millisecond, MaxInterval: 2 * time.Second,
		Multiplier: 3, RandomizationFactor: 0.1, MaxElapsedTime: 10 * time.Second,
	}, r.retry())

	old := loadConfig(t, "redis") // retry_backoff: 1s, max_retry_backoff: 8s
	require.NoError(t, confmap.Validate(old))
	got := old.retry()
	assert.Equal(t, time.Second, got.InitialInterval)
	assert.Equal(t, 8*time.Second, got.MaxInterval)
	assert.Equal(t, 2.0, got.Multiplier, "the default doubling of earlier releases")

	bad := createDefaultConfig().(*Config)
	bad.RetryOnFailure.MaxInterval = time.Second
	err := confmap.Validate(bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "retry_on_failure::max_interval (1s) must be at least retry_on_failure::initial_interval (5s)")
	bad.RetryOnFailure.InitialInterval = time.Microsecond
	bad.RetryOnFailure.MaxInterval = time.Second
	assert.ErrorContains(t, confmap.Validate(bad), "retry_on_failure::initial_interval must be at least 10ms")
}

// The export loop follows retry_on_failure: disabled, one attempt; max_elapsed_time
// ends the retries before the interval does.
func TestExportRetryFollowsRetryOnFailure(t *testing.T) {
	for _, tc := range []struct {
		name  string
		retry func(*configretry.BackOffConfig)
		calls int64
	}{
		{"disabled", func(r *configretry.BackOffConfig) { r.Enabled = false }, 1},
		{"max_elapsed_time", func(r *configretry.BackOffConfig) {
			r.InitialInterval, r.MaxInterval, r.Multiplier, r.RandomizationFactor = 40*time.Millisecond, 40*time.Millisecond, 1, 0
			r.MaxElapsedTime = 100 * time.Millisecond // attempts at 0, 40, 80 ms; 120 > 100
		}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{now: t0}
			sink := &failingSink{}
			sink.fail.Store(100)
			cfg := testCfg(func(c *Config) { tc.retry(&c.RetryOnFailure) })
			p := newTestProcessor(t, cfg, sink, clock, nil, nil)
			consume(t, p, newBatch(web1).sum("c", delta, 0, time.Second, 5, nil))
			clock.Set(t0.Add(time.Second))
			p.exportOnce(context.Background(), clock.Now(), false)
			assert.Equal(t, tc.calls, sink.calls.Load())
			sink.fail.Store(0)
			require.NoError(t, p.Shutdown(context.Background()))
		})
	}
}
