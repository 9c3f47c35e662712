// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"

	"github.com/tasker-systems/otelcol-tasker/internal/testconfig"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/metadata"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	return testconfig.Load(t, metadata.Type, name, createDefaultConfig().(*Config))
}

func TestLoadConfig(t *testing.T) {
	def := loadConfig(t, "")
	assert.Equal(t, createDefaultConfig(), def)
	require.NoError(t, confmap.Validate(def))

	r := loadConfig(t, "redis")
	require.NoError(t, confmap.Validate(r))
	assert.Equal(t, BackendRedis, r.Backend)
	assert.Equal(t, 10*time.Second, r.Interval)
	assert.Equal(t, 2*time.Minute, r.Retention)
	assert.Equal(t, TemporalityDelta, r.Temporality)
	assert.True(t, r.PassThrough)
	assert.Equal(t, 50000, r.MaxSeries)
	assert.Equal(t, []string{"service.instance.id", "host.name"}, r.DropResourceAttributes)
	assert.Equal(t, []string{"pod"}, r.DropAttributes)
	assert.Equal(t, "collector-a", r.InstanceID)
	assert.Equal(t, time.Second, r.ApplyInterval)
	assert.Equal(t, []string{"redis-1:6379", "redis-2:6379", "redis-3:6379"}, r.Redis.Addrs)
	assert.True(t, r.Redis.Cluster)
	assert.Equal(t, "s3cret", string(r.Redis.Password))
	assert.Equal(t, "tasker-prod", r.Redis.KeyPrefix)
	assert.Equal(t, 32, r.Redis.Shards)
	assert.Equal(t, 20, r.Redis.PoolSize)
	assert.Equal(t, 0, r.Redis.ClientCacheSeries, "client-side merge off")

	m := loadConfig(t, "memcached")
	require.NoError(t, confmap.Validate(m))
	assert.Equal(t, []string{"10.0.0.5:11211", "10.0.0.6:11211"}, m.Memcached.Servers)
	assert.Equal(t, 500*time.Millisecond, m.Memcached.Timeout)
	assert.Equal(t, 20, m.Memcached.MaxCASRetries)

	a := loadConfig(t, "auto")
	require.NoError(t, confmap.Validate(a))
	assert.Equal(t, component.MustNewID("file_storage"), *a.Storage)
}

func TestInvalidConfigReportsEveryProblemOnce(t *testing.T) {
	err := confmap.Validate(loadConfig(t, "invalid"))
	require.Error(t, err)
	for _, want := range []string{
		`backend "dynamo" is not supported`,
		"interval must be positive, got 0s",
		`temporality "sometimes" is not supported`,
		"max_series must not be negative",
		`addrs[0] "nohost": want host:port`,
		"shards: must be between 1 and 4096, got 0",
		"client_cache_series: must not be negative",
	} {
		assert.Equal(t, 1, strings.Count(err.Error(), want), "%q once in: %v", want, err)
	}
}

func TestValidateRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		mut  func(*Config)
		want string
	}{
		{"retention too short", func(c *Config) { c.Retention = time.Minute }, "must not exceed retention (1m0s): series could expire before they are exported"},
		{"lock shorter than export", func(c *Config) { c.LockTimeout = time.Second }, "lock_timeout (1s) must be at least export_timeout (30s)"},
		{"backoff order", func(c *Config) { c.MaxRetryBackoff = time.Second }, "max_retry_backoff (1s) must be at least retry_backoff (5s)"},
		{"negative margin", func(c *Config) { c.SafetyMargin = -time.Second }, "safety_margin must not be negative"},
		{"storage with redis", func(c *Config) {
			c.Backend = BackendRedis
			id := component.MustNewID("file_storage")
			c.Storage = &id
		}, `storage applies to backend "memory" only`},
		{"negative buffer", func(c *Config) { c.MaxBufferedPoints = -1 }, "max_buffered_points must not be negative"},
		{"apply_interval not below interval", func(c *Config) { c.ApplyInterval = c.Interval }, "apply_interval (30s) must be shorter than interval (30s)"},
		{"negative apply_interval", func(c *Config) { c.ApplyInterval = -time.Second }, "apply_interval must not be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			tc.mut(cfg)
			err := confmap.Validate(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
