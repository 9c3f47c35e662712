// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package memcachedbackend

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/otelcol-tasker/internal/testserver/memcachedtest"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// memcached stopped: calls fail fast (connection refused), no hang; restarted (empty):
// the very next call works, and the failed batch replays once.
func TestFaultStopRestart(t *testing.T) {
	const timeout = 500 * time.Millisecond
	srv, b := warmBackend(t, timeout, "before")
	ctx := context.Background()

	srv.Stop()
	for _, call := range []struct {
		name string
		fn   func() error
	}{
		{"apply", func() error { return b.Apply(ctx, "during", []series.Update{sumUp(1, 10, t0), sumUp(2, 10, t0)}, t0) }},
		{"snapshot", func() error { _, _, err := b.Snapshot(ctx, t0); return err }},
		{"expire", func() error { _, err := b.Expire(ctx, t0); return err }},
		{"extend", func() error { return b.ExtendTTL(ctx, []series.ID{1}, t0.Add(2*time.Hour)) }},
		{"lock", func() error { _, _, err := b.AcquireLock(ctx, "a", time.Second); return err }},
		{"last exported", func() error { _, err := b.LastExported(ctx); return err }},
	} {
		start := time.Now()
		err := call.fn()
		require.Error(t, err, call.name)
		assert.Less(t, time.Since(start), 2*timeout, "%s must fail within the timeout: %v", call.name, err)
		assert.Contains(t, err.Error(), "memcached backend: ")
	}

	srv.Restart()
	require.NoError(t, b.Apply(ctx, "after", []series.Update{sumUp(1, 100, t0)}, t0), "the first call after the restart works")
	require.NoError(t, b.Apply(ctx, "during", []series.Update{sumUp(1, 10, t0), sumUp(2, 10, t0)}, t0), "replay")
	require.NoError(t, b.Apply(ctx, "during", []series.Update{sumUp(1, 10, t0), sumUp(2, 10, t0)}, t0), "second replay: skipped")
	assert.Equal(t, map[series.ID]int64{1: 110, 2: 10}, totals(t, b, t0), "the restarted memcached was empty")
}

// memcached restarted while the backend was idle: its pooled connections are all dead;
// the first failure drops them, so the call still succeeds (on fresh connections).
func TestRestartWhileIdle(t *testing.T) {
	srv := memcachedtest.Start(t)
	b := newBackend(t, []string{srv.Addr}, time.Hour)
	ctx := context.Background()
	var ups []series.Update
	for id := range series.ID(200) {
		ups = append(ups, sumUp(id, 1, t0))
	}
	require.NoError(t, b.Apply(ctx, "warm", ups, t0)) // parallel writes: several pooled connections
	srv.Restart()
	require.NoError(t, b.Apply(ctx, "after", []series.Update{sumUp(1, 1, t0)}, t0))
	assert.Equal(t, int64(1), b.Stats().PoolResets)
	states, _, err := b.Snapshot(ctx, t0)
	require.NoError(t, err)
	assert.Len(t, states, 1)
}

// memcached hung (SIGSTOP: connections open, no replies): calls fail within a few
// timeouts instead of hanging; resumed, everything works again.
func TestFaultHungServer(t *testing.T) {
	const timeout = 300 * time.Millisecond
	srv, b := warmBackend(t, timeout, "warm")
	ctx := context.Background()

	srv.Pause()
	start := time.Now()
	err := b.Apply(ctx, "hung", []series.Update{sumUp(1, 5, t0)}, t0)
	require.Error(t, err)
	assert.Less(t, time.Since(start), 4*timeout, "bounded by the timeout (one read, retried once on a fresh connection)")
	srv.Resume()

	require.Eventually(t, func() bool { return b.Apply(ctx, "hung", []series.Update{sumUp(1, 5, t0)}, t0) == nil },
		5*time.Second, 20*time.Millisecond)
	assert.Equal(t, map[series.ID]int64{1: 6}, totals(t, b, t0))
}

// Three replicas race for the lock 50 times: never two holders at once, tokens increase.
func TestLockRace(t *testing.T) {
	srv := memcachedtest.Start(t)
	prefix := newPrefix()
	bs := make([]*Backend, 3)
	for i := range bs {
		bs[i] = newBackend(t, []string{srv.Addr}, time.Hour, func(c *Config) { c.KeyPrefix = prefix })
	}
	ctx := context.Background()
	var holding atomic.Int32
	var mu sync.Mutex
	var tokens []int64
	for round := range 50 {
		var wg sync.WaitGroup
		var winners atomic.Int32
		start := make(chan struct{})
		for i, b := range bs {
			wg.Go(func() {
				<-start
				l, ok, err := b.AcquireLock(ctx, fmt.Sprintf("replica-%d", i), 5*time.Second)
				if !assert.NoError(t, err) || !ok {
					return
				}
				winners.Add(1)
				if n := holding.Add(1); n != 1 {
					t.Errorf("round %d: %d holders at once", round, n)
				}
				mu.Lock()
				tokens = append(tokens, l.Token())
				mu.Unlock()
				time.Sleep(2 * time.Millisecond)
				holding.Add(-1)
				assert.NoError(t, l.Release(ctx))
			})
		}
		close(start)
		wg.Wait()
		assert.GreaterOrEqual(t, winners.Load(), int32(1), "round %d: the free lock was taken", round)
	}
	require.GreaterOrEqual(t, len(tokens), 50)
	for i := 1; i < len(tokens); i++ {
		require.Greater(t, tokens[i], tokens[i-1], "fencing tokens increase")
	}
}

// A lock whose stored expiry passed is free even while memcached still holds the item
// (memcached expirations are whole seconds); one whose stored expiry is ahead is not.
func TestLockStoredExpiry(t *testing.T) {
	srv := memcachedtest.Start(t)
	b := newBackend(t, []string{srv.Addr}, time.Hour)
	raw := rawClient(srv.Addr)
	ctx := context.Background()
	key := b.keys.lock

	require.NoError(t, raw.Set(&memcache.Item{Key: key, Value: lockValue("crashed:7", time.Now().Add(-time.Millisecond).UnixNano()), Expiration: 60}))
	l, ok, err := b.AcquireLock(ctx, "taker", 2500*time.Millisecond)
	require.NoError(t, err)
	require.True(t, ok, "the expired lock is taken over")
	it, err := raw.Get(key)
	require.NoError(t, err)
	holder, exp, err := parseLock(it.Value)
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("taker:%d", l.Token()), holder)
	assert.InDelta(t, time.Now().Add(2500*time.Millisecond).UnixNano(), exp, float64(time.Second))
	ttl, ok, err := srv.TTL(key)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Contains(t, []int{3, 4}, ttl, "ceil(2.5 s) + 1")

	require.NoError(t, raw.Set(&memcache.Item{Key: key, Value: lockValue("alive:9", time.Now().Add(time.Minute).UnixNano()), Expiration: 60}))
	_, ok, err = b.AcquireLock(ctx, "taker", time.Second)
	require.NoError(t, err)
	assert.False(t, ok, "held until the stored expiry")
	assert.ErrorIs(t, l.Renew(ctx, time.Second), backend.ErrLockLost)
	require.NoError(t, l.Release(ctx))
	_, err = raw.Get(key)
	require.NoError(t, err, "releasing a lost lease leaves the other holder's lock")

	// The token counter never expires and restarts from the clock if lost.
	tok, ok, err := srv.TTL(b.keys.token)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, -1, tok)
	require.NoError(t, raw.Delete(b.keys.token))
	require.NoError(t, raw.Delete(key))
	l2, ok, err := b.AcquireLock(ctx, "after-loss", time.Second)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Greater(t, l2.Token(), l.Token(), "a lost counter restarts above every earlier token")
}

// A series item refuses Exported points from an older fencing token than the last one
// that wrote it.
func TestMarkExportedFencing(t *testing.T) {
	srv := memcachedtest.Start(t)
	b := newBackend(t, []string{srv.Addr}, time.Hour)
	raw := rawClient(srv.Addr)
	ctx := context.Background()
	require.NoError(t, b.Apply(ctx, "1", []series.Update{sumUp(1, 5, t0)}, t0))
	states, _, err := b.Snapshot(ctx, t0)
	require.NoError(t, err)
	newer := &lease{b: b, key: b.keys.lock, holder: "new:50", token: 50}
	older := &lease{b: b, key: b.keys.lock, holder: "old:40", token: 40}
	require.NoError(t, raw.Set(&memcache.Item{Key: b.keys.lock, Value: lockValue(newer.holder, time.Now().Add(time.Minute).UnixNano())}))
	require.NoError(t, b.MarkExported(ctx, newer, 100, states))
	// The old holder passes the lock check in a race window (simulated): the item refuses.
	require.NoError(t, raw.Set(&memcache.Item{Key: b.keys.lock, Value: lockValue(older.holder, time.Now().Add(time.Minute).UnixNano())}))
	err = b.MarkExported(ctx, older, 90, states)
	require.ErrorIs(t, err, backend.ErrLockLost)
	assert.Contains(t, err.Error(), b.seriesKey(1))
	last, err := b.LastExported(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(100), last, "last_export never goes down")
}

// warmBackend starts a memcached and a backend with the given timeout, and applies one
// point as batch (the connections are open).
func warmBackend(t *testing.T, timeout time.Duration, batch string) (*memcachedtest.Server, *Backend) {
	t.Helper()
	srv := memcachedtest.Start(t)
	b := newBackend(t, []string{srv.Addr}, time.Hour, func(c *Config) { c.Timeout = timeout })
	require.NoError(t, b.Apply(context.Background(), batch, []series.Update{sumUp(1, 1, t0)}, t0))
	return srv, b
}
