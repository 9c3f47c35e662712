// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package redisbackend

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/internal/testserver/redistest"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend/backendtest"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func TestConformanceStandalone(t *testing.T) {
	srv := redistest.Start(t)
	backendtest.Run(t, func(t *testing.T, retention time.Duration) backend.Backend {
		return newBackend(t, []string{srv.Addr}, retention)
	})
}

func TestStartAndInfo(t *testing.T) {
	srv := redistest.Start(t)
	b := newBackend(t, []string{srv.Addr}, time.Minute)
	info := b.Info()
	assert.Regexp(t, `^\d+\.\d+`, info["redis_version"])
	assert.Equal(t, "standalone", info["redis_mode"])
	assert.Equal(t, ModeStandalone, info["mode"])
	assert.Equal(t, "16", info["shards"])
	assert.Equal(t, backend.StrategyDistributedAtomic, b.Strategy())
	assert.Equal(t, backend.Capabilities{Distributed: true, AtomicIncrement: true, Locking: true, TTL: true}, b.Capabilities())

	// Another replica with a different shard count is refused: it would read other shards.
	cfg := b.cfg
	cfg.Shards = 8
	other, err := New(cfg, time.Minute, zap.NewNop())
	require.NoError(t, err)
	defer other.Close()
	err = other.Start(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "shards=16")
}

func TestStartUnreachable(t *testing.T) {
	cfg := NewDefaultConfig()
	cfg.Addrs = []string{fmt.Sprintf("127.0.0.1:%d", redistest.FreePort(t))}
	cfg.DialTimeout = 500 * time.Millisecond
	b, err := New(cfg, time.Minute, zap.NewNop())
	require.NoError(t, err)
	defer b.Close()
	start := time.Now()
	err = b.Start(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot reach Redis")
	assert.Less(t, time.Since(start), 10*time.Second)
}

func TestNoScriptFallback(t *testing.T) {
	srv := redistest.Start(t)
	b := newBackend(t, []string{srv.Addr}, time.Hour)
	ctx := context.Background()
	require.NoError(t, b.Apply(ctx, "1", []series.Update{sumUpdate(1, 1, t0), sumUpdate(2, 1, t0)}, t0))
	_, err := srv.Do("SCRIPT", "FLUSH")
	require.NoError(t, err)
	require.NoError(t, b.Apply(ctx, "2", []series.Update{sumUpdate(1, 1, t0), sumUpdate(2, 1, t0)}, t0))
	_, err = srv.Do("SCRIPT", "FLUSH")
	require.NoError(t, err)
	states, missing, err := b.Snapshot(ctx, t0)
	require.NoError(t, err)
	require.Zero(t, missing)
	require.Len(t, states, 2)
	assert.Equal(t, int64(2), states[0].Point.Int)
	_, err = srv.Do("SCRIPT", "FLUSH")
	require.NoError(t, err)
	l, ok, err := b.AcquireLock(ctx, "a", time.Second)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, l.Release(ctx))
}

func TestCorruptData(t *testing.T) {
	srv := redistest.Start(t)
	b := newBackend(t, []string{srv.Addr}, time.Hour)
	// Values written behind the scripts' back do not change the shard's version, so a
	// client that caches them would merge on its copy and overwrite them: this test is
	// about the Lua merge, which reads them.
	b.setCacheSeries(0)
	ctx := context.Background()
	require.NoError(t, b.Apply(ctx, "1", []series.Update{sumUpdate(1, 1, t0), sumUpdate(17, 1, t0)}, t0))
	// Series 1 and 17 are both in shard 1.
	_, err := srv.Do("HSET", b.shards[1].keys[2], series.ID(1).String(), "1garbage")
	require.NoError(t, err)

	_, _, err = b.Snapshot(ctx, t0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), b.shards[1].keys[2])
	assert.Contains(t, err.Error(), series.ID(1).String())

	err = b.Apply(ctx, "2", []series.Update{sumUpdate(17, 5, t0), sumUpdate(1, 1, t0)}, t0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "corrupt value of series "+series.ID(1).String())
	// Nothing of the failed shard's batch was written: series 17 still holds 1.
	_, err = srv.Do("HSET", b.shards[1].keys[2], series.ID(1).String(), "10 0 0 0 i1")
	require.NoError(t, err)
	states, _, err := b.Snapshot(ctx, t0)
	require.NoError(t, err)
	for _, s := range states {
		assert.Equal(t, int64(1), s.Point.Int, "series %s", s.ID)
	}
	// A point that does not parse, and a bad exported point.
	_, err = srv.Do("HSET", b.shards[1].keys[3], series.ID(1).String(), "1x y")
	require.NoError(t, err)
	_, _, err = b.Snapshot(ctx, t0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), b.shards[1].keys[3])
	// A wrong type under a shard key is an error, not a panic.
	_, err = srv.Do("DEL", b.shards[1].keys[2])
	require.NoError(t, err)
	_, err = srv.Do("SET", b.shards[1].keys[2], "x")
	require.NoError(t, err)
	err = b.Apply(ctx, "3", []series.Update{sumUpdate(1, 1, t0)}, t0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "WRONGTYPE")
	// Unknown kinds are refused before anything is sent.
	err = b.Apply(ctx, "4", []series.Update{{ID: 2, Kind: 9}}, t0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unknown series kind 9")
}

func TestContextDeadline(t *testing.T) {
	srv := redistest.Start(t)
	b := newBackend(t, []string{srv.Addr}, time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	time.Sleep(time.Millisecond)
	err := b.Apply(ctx, "x", []series.Update{sumUpdate(1, 1, t0)}, t0)
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), err)
	for _, f := range []func() error{
		func() error { _, _, err := b.Snapshot(ctx, t0); return err },
		func() error { return b.ExtendTTL(ctx, []series.ID{1}, t0) },
		func() error { _, err := b.Expire(ctx, t0); return err },
		func() error { _, _, err := b.AcquireLock(ctx, "a", time.Second); return err },
		func() error { _, err := b.LastExported(ctx); return err },
	} {
		assert.ErrorIs(t, f(), context.DeadlineExceeded)
	}
}

func TestNativeTTLSafetyNet(t *testing.T) {
	srv := redistest.Start(t)
	b := newBackend(t, []string{srv.Addr}, 10*time.Second)
	ctx := context.Background()
	now := time.Now()
	require.NoError(t, b.Apply(ctx, "1", []series.Update{sumUpdate(1, 1, now)}, now))
	for _, k := range b.shards[1].keys[:3] {
		v, err := srv.Do("PTTL", k)
		require.NoError(t, err)
		ttl, err := strconv.Atoi(v)
		require.NoError(t, err, k)
		// 2 × retention, less the time since Apply (generous under -race on a busy machine).
		assert.True(t, ttl > 15000 && ttl <= 20000, "%s: PTTL %d, want about 20000", k, ttl)
	}
	v, err := srv.Do("PTTL", b.shards[1].batch+"1")
	require.NoError(t, err)
	marker, err := strconv.Atoi(v)
	require.NoError(t, err)
	assert.True(t, marker > 5000 && marker <= 10000, "batch marker lives retention: %s", v)
	// ExtendTTL stretches the native TTL too.
	require.NoError(t, b.ExtendTTL(ctx, []series.ID{1}, now.Add(time.Minute)))
	v, err = srv.Do("PTTL", b.shards[1].keys[0])
	require.NoError(t, err)
	assert.Greater(t, len(v), 4, "about 70s: %s", v)
	// Unknown series are not created by ExtendTTL.
	require.NoError(t, b.ExtendTTL(ctx, []series.ID{33}, now.Add(time.Minute)))
	n, err := srv.Do("ZCARD", b.shards[1].keys[0])
	require.NoError(t, err)
	assert.Equal(t, "1", n)
}

func TestConfigValidate(t *testing.T) {
	def := NewDefaultConfig()
	require.NoError(t, def.Validate())
	assert.Equal(t, ModeStandalone, def.Mode())
	tests := []struct {
		name string
		mut  func(*Config)
		want string
	}{
		{"no addrs", func(c *Config) { c.Addrs = nil }, "at least one address"},
		{"bad addr", func(c *Config) { c.Addrs = []string{"localhost"} }, `addrs[0] "localhost"`},
		{"prefix braces", func(c *Config) { c.KeyPrefix = "a{b}" }, "braces"},
		{"empty prefix", func(c *Config) { c.KeyPrefix = "" }, "key_prefix"},
		{"shards", func(c *Config) { c.Shards = 0 }, "shards"},
		{"db in cluster", func(c *Config) { c.Cluster, c.DB = true, 2 }, "only database 0"},
		{"cluster and sentinel", func(c *Config) { c.Cluster, c.MasterName = true, "m" }, "exclusive"},
		{"negative timeout", func(c *Config) { c.ReadTimeout = -time.Second }, "read_timeout"},
		{"pool", func(c *Config) { c.PoolSize = -1 }, "pool_size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewDefaultConfig()
			tt.mut(&c)
			err := c.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			_, err = New(c, time.Minute, nil)
			require.Error(t, err)
		})
	}
	c := NewDefaultConfig()
	c.Addrs = []string{"a:1", "b:2"}
	assert.Equal(t, ModeCluster, c.Mode())
	c.MasterName = "mymaster"
	assert.Equal(t, ModeSentinel, c.Mode())
	_, err := New(NewDefaultConfig(), 0, nil)
	require.Error(t, err)
}

// TestLargeShard: more series in one shard than one unpack() takes (the scripts chunk).
func TestLargeShard(t *testing.T) {
	srv := redistest.Start(t)
	b := newBackend(t, []string{srv.Addr}, time.Hour, func(c *Config) { c.Shards = 1 })
	ctx := context.Background()
	const n = 9000
	ups := make([]series.Update, n)
	ids := make([]series.ID, n)
	for i := range ups {
		ups[i] = sumUpdate(series.ID(i), int64(i), t0)
		ids[i] = series.ID(i)
	}
	require.NoError(t, b.Apply(ctx, "big", ups, t0))
	require.NoError(t, b.Apply(ctx, "big2", ups, t0))
	states, missing, err := b.Snapshot(ctx, t0)
	require.NoError(t, err)
	require.Zero(t, missing)
	require.Len(t, states, n)
	for i, s := range states {
		require.Equal(t, series.ID(i), s.ID)
		require.Equal(t, int64(2*i), s.Point.Int)
	}
	require.NoError(t, b.ExtendTTL(ctx, ids[:n/2], t0.Add(3*time.Hour)))
	l, ok, err := b.AcquireLock(ctx, "a", time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, b.MarkExported(ctx, l, 1, states))
	states, _, err = b.Snapshot(ctx, t0)
	require.NoError(t, err)
	require.NotNil(t, states[n-1].Exported)
	assert.Equal(t, int64(2*(n-1)), states[n-1].Exported.Int)
	removed, err := b.Expire(ctx, t0.Add(2*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, n/2, removed)
	removed, err = b.Expire(ctx, t0.Add(4*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, n/2, removed)
	for _, k := range b.shards[0].keys {
		v, err := srv.Do("EXISTS", k)
		require.NoError(t, err)
		assert.Equal(t, "0", v, "%s emptied", k)
	}
}

// TestExpireKeepsVersionTTL: expiring some of a shard's series moves its version and
// keeps the version key's native TTL (a plain SET would drop it, and an abandoned
// prefix would leave the key behind forever).
func TestExpireKeepsVersionTTL(t *testing.T) {
	srv := redistest.Start(t)
	b := newBackend(t, []string{srv.Addr}, 10*time.Second)
	ctx := context.Background()
	now := time.Now()
	require.NoError(t, b.Apply(ctx, "1", []series.Update{sumUpdate(1, 1, now)}, now.Add(-20*time.Second)))
	require.NoError(t, b.Apply(ctx, "2", []series.Update{sumUpdate(33, 1, now)}, now))
	ver := b.shards[1].keys[4]
	before, err := srv.Do("GET", ver)
	require.NoError(t, err)
	n, err := b.Expire(ctx, now)
	require.NoError(t, err)
	require.Equal(t, 1, n, "series 1 expired, 33 kept")
	after, err := srv.Do("GET", ver)
	require.NoError(t, err)
	require.NotEqual(t, before, after, "expiry moves the version")
	v, err := srv.Do("PTTL", ver)
	require.NoError(t, err)
	ttl, err := strconv.Atoi(v)
	require.NoError(t, err)
	assert.Greater(t, ttl, 0, "the version key keeps its TTL: PTTL %s", v)
}
