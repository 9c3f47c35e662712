// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package memcachedbackend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/otelcol-tasker/internal/testserver/memcachedtest"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend/backendtest"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

func TestConformance(t *testing.T) {
	srv := memcachedtest.Start(t)
	backendtest.Run(t, func(t *testing.T, retention time.Duration) backend.Backend {
		return newBackend(t, []string{srv.Addr}, retention)
	})
}

// Two servers (keys spread by hash), one shard, one connection: the sequential paths.
func TestConformanceTwoServersSequential(t *testing.T) {
	s1, s2 := memcachedtest.Start(t), memcachedtest.Start(t)
	backendtest.Run(t, func(t *testing.T, retention time.Duration) backend.Backend {
		return newBackend(t, []string{s1.Addr, s2.Addr}, retention, func(c *Config) { c.Shards = 1; c.MaxIdleConns = 1 })
	})
}

func TestStrategyAndInfo(t *testing.T) {
	b, err := New(NewDefaultConfig(), time.Minute, nil)
	require.NoError(t, err)
	assert.Equal(t, backend.StrategyDistributedBasic, b.Strategy())
	assert.Equal(t, backend.Capabilities{Distributed: true, AtomicIncrement: true, Locking: true, TTL: true}, b.Capabilities())
	assert.Equal(t, map[string]string{"servers": "127.0.0.1:11211", "key_prefix": "tasker", "shards": "16"}, b.Info())
}

func TestStartUnreachable(t *testing.T) {
	cfg := testConfig(fmt.Sprintf("127.0.0.1:%d", memcachedtest.FreePort(t)))
	cfg.Timeout = 500 * time.Millisecond
	b, err := New(cfg, time.Minute, nil)
	require.NoError(t, err)
	start := time.Now()
	err = b.Start(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot reach memcached at 127.0.0.1:")
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestStartRefusesShardMismatch(t *testing.T) {
	srv := memcachedtest.Start(t)
	a := newBackend(t, []string{srv.Addr}, time.Minute)
	cfg := a.cfg
	cfg.Shards = 8
	b, err := New(cfg, time.Minute, nil)
	require.NoError(t, err)
	err = b.Start(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "shards=16, configured shards=8")
}

func TestStartRefusesServerWithoutCAS(t *testing.T) {
	srv := memcachedtest.Start(t, "-C")
	b, err := New(testConfig(srv.Addr), time.Minute, nil)
	require.NoError(t, err)
	err = b.Start(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "CAS disabled")
}

// Four replicas, each with its own client, hammer the same five series: the totals are
// exact and CAS races were lost (and retried) along the way.
func TestCASContention(t *testing.T) {
	srv := memcachedtest.Start(t)
	prefix := newPrefix()
	const clients, batches = 4, 200
	bs := make([]*Backend, clients)
	for i := range bs {
		bs[i] = newBackend(t, []string{srv.Addr}, time.Hour, func(c *Config) { c.KeyPrefix = prefix })
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	var replays atomic.Int64
	for w, b := range bs {
		wg.Go(func() {
			for i := range batches {
				ups := make([]series.Update, 0, 10)
				for j := range 10 {
					ups = append(ups, sumUp(series.ID(j%5+1), int64(w+1), t0))
				}
				id := fmt.Sprintf("c%d-b%d", w, i)
				err := b.Apply(ctx, id, ups, t0)
				for attempt := 0; err != nil && attempt < 5; attempt++ { // replayed, as the processor does
					replays.Add(1)
					err = b.Apply(ctx, id, ups, t0)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	got := totals(t, bs[0], t0)
	require.Len(t, got, 5)
	for id := series.ID(1); id <= 5; id++ {
		// per batch of worker w: two updates of w+1 per series
		assert.Equal(t, int64(batches*2*(1+2+3+4)), got[id], "series %d", id)
	}
	var retries, ambiguous int64
	for _, b := range bs {
		retries += b.Stats().CASRetries
		ambiguous += b.Stats().AmbiguousWrites
	}
	t.Logf("%d batches × %d clients: %d CAS retries, %d replays, %d ambiguous writes", batches, clients, retries, replays.Load(), ambiguous)
	assert.Positive(t, retries, "the clients raced for the same items")
}

// A batch that failed part-way is replayed exactly: series confirmed or found in their
// item's ring are not applied again, the rest are, and an ambiguous write is resolved.
func TestReplayAfterPartialFailure(t *testing.T) {
	srv := memcachedtest.Start(t)
	b := newBackend(t, []string{srv.Addr}, time.Hour, func(c *Config) { c.MaxIdleConns = 1 }) // writes in order
	ctx := context.Background()
	lostReply := &net.OpError{Op: "read", Net: "tcp", Err: io.ErrUnexpectedEOF}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	batch := func(ids ...series.ID) []series.Update {
		var ups []series.Update
		for _, id := range ids {
			ups = append(ups, sumUp(id, 1, t0))
		}
		return ups
	}
	// hook lets the first ok writes through, then makes the next one fail with err
	// (after writing it when landed), and refuses the rest.
	hook := func(ok int, landed bool, err error) func(string, func() error) error {
		n := 0
		return func(_ string, write func() error) error {
			n++
			switch {
			case n <= ok:
				return write()
			case n == ok+1:
				if landed {
					if werr := write(); werr != nil {
						return werr
					}
				}
				return err
			}
			return refused
		}
	}
	others := func(id series.ID, n int) {
		for i := range n {
			require.NoError(t, b.Apply(ctx, fmt.Sprintf("other-%d-%d", id, i), batch(id), t0))
		}
	}

	// 1. Four writes confirmed, the fifth landed but its reply was lost.
	b.writeHook = hook(4, true, lostReply)
	ids := []series.ID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	require.Error(t, b.Apply(ctx, "b1", batch(ids...), t0))
	assert.Equal(t, int64(1), b.Stats().AmbiguousWrites)
	assert.Len(t, totals(t, b, t0), 5)
	b.writeHook = nil
	require.NoError(t, b.Apply(ctx, "b1", batch(ids...), t0))
	require.NoError(t, b.Apply(ctx, "b1", batch(ids...), t0))
	for _, id := range ids {
		assert.Equal(t, int64(1), totals(t, b, t0)[id], "series %d", id)
	}

	// 2. The reply was lost and the write did not land: the replay applies it.
	b.writeHook = hook(0, false, lostReply)
	require.Error(t, b.Apply(ctx, "b2", batch(20), t0))
	b.writeHook = nil
	require.NoError(t, b.Apply(ctx, "b2", batch(20), t0))
	assert.Equal(t, int64(1), totals(t, b, t0)[20])

	// 3. The write landed, then nine other batches wrote the series: unknowable, skipped
	// (never counted twice).
	require.NoError(t, b.Apply(ctx, "seed30", batch(30), t0))
	b.writeHook = hook(0, true, lostReply)
	require.Error(t, b.Apply(ctx, "b3", batch(30), t0))
	b.writeHook = nil
	others(30, 9)
	require.NoError(t, b.Apply(ctx, "b3", batch(30), t0))
	assert.Equal(t, int64(1+1+9), totals(t, b, t0)[30])
	assert.Equal(t, int64(1), b.Stats().AmbiguousSkipped)

	// 4. Confirmed, then nine other writes (out of the ring): the process remembers.
	b.writeHook = hook(1, false, refused)
	require.Error(t, b.Apply(ctx, "b4", batch(40, 41), t0))
	b.writeHook = nil
	others(40, 9)
	require.NoError(t, b.Apply(ctx, "b4", batch(40, 41), t0))
	assert.Equal(t, int64(1+9), totals(t, b, t0)[40])
	assert.Equal(t, int64(1), totals(t, b, t0)[41])

	// 5. Confirmed, and the process forgot (another replica's view): the ring remembers.
	b.writeHook = hook(1, false, refused)
	require.Error(t, b.Apply(ctx, "b5", batch(50, 51), t0))
	b.writeHook = nil
	b.forget("b5")
	require.NoError(t, b.Apply(ctx, "b5", batch(50, 51), t0))
	assert.Equal(t, int64(1), totals(t, b, t0)[50])
	assert.Equal(t, int64(1), totals(t, b, t0)[51])

	b.pmu.Lock()
	assert.Empty(t, b.pending, "replayed batches are forgotten")
	b.pmu.Unlock()
}

// Steady updates do not rewrite the index; Expire trusts the items over stale hints.
func TestIndexHintsAndExpire(t *testing.T) {
	srv := memcachedtest.Start(t)
	b := newBackend(t, []string{srv.Addr}, time.Minute, func(c *Config) { c.Shards = 1 }) // slack 15 s
	raw := rawClient(srv.Addr)
	ctx := context.Background()
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	require.NoError(t, b.Apply(ctx, "1", []series.Update{sumUp(1, 1, t0), sumUp(2, 1, t0), sumUp(3, 1, t0)}, t0))
	w := b.Stats().IndexWrites
	assert.Equal(t, int64(1), w)
	require.NoError(t, b.Apply(ctx, "2", []series.Update{sumUp(1, 1, at(10*time.Second)), sumUp(3, 1, at(10*time.Second))}, at(10*time.Second)))
	assert.Equal(t, w, b.Stats().IndexWrites, "no index write for series updated within the slack")
	require.NoError(t, b.Apply(ctx, "3", []series.Update{sumUp(1, 1, at(20*time.Second))}, at(20*time.Second)))
	assert.Equal(t, w+1, b.Stats().IndexWrites, "hint more than retention/4 behind: rewritten")

	hints := func() map[series.ID]time.Duration {
		it, err := raw.Get(b.keys.index[0])
		require.NoError(t, err)
		es, err := decodeIndex(it.Value)
		require.NoError(t, err)
		out := map[series.ID]time.Duration{}
		for _, e := range es {
			out[e.id] = time.Duration(e.hint - t0.UnixNano())
		}
		return out
	}
	assert.Equal(t, map[series.ID]time.Duration{1: 80 * time.Second, 2: time.Minute, 3: time.Minute}, hints())

	// Series 3's hint says t0+60s, its item t0+70s: it stays, and its hint is raised.
	n, err := b.Expire(ctx, at(65*time.Second))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, map[series.ID]int64{1: 3, 3: 2}, totals(t, b, at(65*time.Second)))
	_, err = raw.Get(b.seriesKey(2))
	assert.ErrorIs(t, err, memcache.ErrCacheMiss, "the expired item is deleted")
	assert.Equal(t, map[series.ID]time.Duration{1: 80 * time.Second, 3: 70 * time.Second}, hints())

	// An index entry whose item vanished (evicted, or a crash between index and item) is
	// skipped by Snapshot and removed by Expire once its hint passed.
	require.NoError(t, raw.Delete(b.seriesKey(1)))
	assert.Equal(t, map[series.ID]int64{3: 2}, totals(t, b, at(65*time.Second)))
	n, err = b.Expire(ctx, at(81*time.Second))
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.Empty(t, hints())
	assert.Empty(t, totals(t, b, at(81*time.Second)))
}

// An item's indexed field never overstates its index hint: a batch that lists a new
// series in a shard does not claim the new hint for the shard's other series.
func TestIndexedNeverOverstated(t *testing.T) {
	srv := memcachedtest.Start(t)
	b := newBackend(t, []string{srv.Addr}, time.Minute, func(c *Config) { c.Shards = 1 })
	raw := rawClient(srv.Addr)
	ctx := context.Background()
	at := t0.Add(10 * time.Second)
	require.NoError(t, b.Apply(ctx, "1", []series.Update{sumUp(1, 1, t0)}, t0))
	require.NoError(t, b.Apply(ctx, "2", []series.Update{sumUp(1, 1, at), sumUp(2, 1, at)}, at))
	indexed := func(id series.ID) time.Duration {
		mi, err := raw.Get(b.seriesKey(id))
		require.NoError(t, err)
		var it item
		require.NoError(t, decodeItem(mi.Value, &it))
		return time.Duration(it.indexed - t0.UnixNano())
	}
	assert.Equal(t, time.Minute, indexed(1), "series 1 kept its hint (t0+60s)")
	assert.Equal(t, 70*time.Second, indexed(2), "series 2 was listed at t0+70s")
}

// memcached's own expirations are at least the logical ones (plus grace).
func TestMemcachedExpirations(t *testing.T) {
	srv := memcachedtest.Start(t)
	b := newBackend(t, []string{srv.Addr}, time.Hour, func(c *Config) { c.Shards = 1 })
	ctx := context.Background()
	now := time.Now()
	require.NoError(t, b.Apply(ctx, "m", []series.Update{sumUp(1, 1, now)}, now))
	ttl := func(key string) int {
		v, ok, err := srv.TTL(key)
		require.NoError(t, err)
		require.True(t, ok, key)
		return v
	}
	assert.InDelta(t, 3600+60, ttl(b.seriesKey(1)), 2, "retention + grace")
	assert.InDelta(t, 3600+900+60, ttl(b.keys.index[0]), 2, "retention + slack + grace")
	assert.InDelta(t, 3600, ttl(b.batchKey("m")), 2, "retention")
	// Logical times far in the past (tests, replays of old batches) keep the same lifetimes.
	require.NoError(t, b.Apply(ctx, "old", []series.Update{sumUp(2, 1, t0.Add(-24*time.Hour))}, t0.Add(-24*time.Hour)))
	assert.InDelta(t, 3600+60, ttl(b.seriesKey(2)), 2)
	require.NoError(t, b.ExtendTTL(ctx, []series.ID{1}, now.Add(3*time.Hour)))
	assert.InDelta(t, 3*3600+60, ttl(b.seriesKey(1)), 2, "extended")
	assert.GreaterOrEqual(t, ttl(b.keys.index[0]), 3*3600+60, "the index outlives what it lists")
	assert.Equal(t, -1, ttl(b.keys.shards))
}

func TestBatchIDsThatAreNoKeys(t *testing.T) {
	srv := memcachedtest.Start(t)
	b := newBackend(t, []string{srv.Addr}, time.Hour)
	ctx := context.Background()
	for _, id := range []string{"with space", strings.Repeat("x", 300), "tab\tand\nnewline", "ünïcödé"} {
		require.NoError(t, b.Apply(ctx, id, []series.Update{sumUp(1, 1, t0)}, t0))
		require.NoError(t, b.Apply(ctx, id, []series.Update{sumUp(1, 1, t0)}, t0))
	}
	require.NoError(t, b.Apply(ctx, "", []series.Update{sumUp(1, 1, t0)}, t0))
	require.NoError(t, b.Apply(ctx, "", []series.Update{sumUp(1, 1, t0)}, t0))
	assert.Equal(t, int64(6), totals(t, b, t0)[1], "four ids once each; no id: not deduplicated")
}

func TestKindChangeRestartsSeries(t *testing.T) {
	srv := memcachedtest.Start(t)
	b := newBackend(t, []string{srv.Addr}, time.Hour)
	ctx := context.Background()
	require.NoError(t, b.Apply(ctx, "1", []series.Update{sumUp(1, 5, t0)}, t0))
	g := series.Update{ID: 1, Kind: series.KindGauge, Point: series.Point{Time: t0.UnixNano(), Double: 2.5}}
	require.NoError(t, b.Apply(ctx, "2", []series.Update{g}, t0))
	states, _, err := b.Snapshot(ctx, t0)
	require.NoError(t, err)
	require.Len(t, states, 1)
	assert.Equal(t, series.KindGauge, states[0].Kind)
	assert.Equal(t, 2.5, states[0].Point.Double)
	assert.False(t, states[0].Point.IsInt)
	assert.Equal(t, int64(1), b.Stats().KindChanges)
}

// Corrupt items are errors naming the key, never panics.
func TestCorruptItems(t *testing.T) {
	srv := memcachedtest.Start(t)
	b := newBackend(t, []string{srv.Addr}, time.Hour, func(c *Config) { c.Shards = 1 })
	raw := rawClient(srv.Addr)
	ctx := context.Background()
	require.NoError(t, b.Apply(ctx, "1", []series.Update{sumUp(1, 1, t0), sumUp(2, 1, t0)}, t0))
	good, err := raw.Get(b.seriesKey(2))
	require.NoError(t, err)
	for _, bad := range [][]byte{[]byte("garbage"), good.Value[:len(good.Value)-1], append(append([]byte{}, good.Value...), 0)} {
		require.NoError(t, raw.Set(&memcache.Item{Key: b.seriesKey(2), Value: bad}))
		key := b.seriesKey(2)
		_, _, err := b.Snapshot(ctx, t0)
		requireCorrupt(t, err, key)
		requireCorrupt(t, b.Apply(ctx, "x", []series.Update{sumUp(2, 1, t0)}, t0), key)
		requireCorrupt(t, b.ExtendTTL(ctx, []series.ID{2}, t0.Add(2*time.Hour)), key)
		_, err = b.Expire(ctx, t0.Add(2*time.Hour))
		requireCorrupt(t, err, key)
	}
	require.NoError(t, raw.Set(&memcache.Item{Key: b.keys.index[0], Value: []byte("I\x01short")}))
	_, _, err = b.Snapshot(ctx, t0)
	requireCorrupt(t, err, b.keys.index[0])
	requireCorrupt(t, b.Apply(ctx, "y", []series.Update{sumUp(3, 1, t0)}, t0), b.keys.index[0])
	require.NoError(t, raw.Set(&memcache.Item{Key: b.keys.lock, Value: []byte("nonsense")}))
	_, _, err = b.AcquireLock(ctx, "a", time.Second)
	requireCorrupt(t, err, b.keys.lock)
	require.NoError(t, raw.Set(&memcache.Item{Key: b.keys.last, Value: []byte("x")}))
	_, err = b.LastExported(ctx)
	requireCorrupt(t, err, b.keys.last)
}

func requireCorrupt(t *testing.T, err error, key string) {
	t.Helper()
	require.Error(t, err)
	assert.True(t, errors.Is(err, errCorrupt), "%v", err)
	assert.Contains(t, err.Error(), key)
}

func TestCancelledContextDuringApply(t *testing.T) {
	srv := memcachedtest.Start(t)
	b := newBackend(t, []string{srv.Addr}, time.Hour, func(c *Config) { c.MaxIdleConns = 1 })
	ctx, cancel := context.WithCancel(context.Background())
	b.writeHook = func(_ string, write func() error) error { cancel(); return write() }
	ups := []series.Update{sumUp(1, 1, t0), sumUp(2, 1, t0), sumUp(3, 1, t0)}
	err := b.Apply(ctx, "c", ups, t0)
	require.ErrorIs(t, err, context.Canceled)
	b.writeHook = nil
	require.NoError(t, b.Apply(context.Background(), "c", ups, t0))
	assert.Equal(t, map[series.ID]int64{1: 1, 2: 1, 3: 1}, totals(t, b, t0))
}
