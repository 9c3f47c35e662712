// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package redisbackend

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tasker-systems/otelcol-tasker/internal/testserver/redistest"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// replicaPair returns two backends (replicas) sharing one key prefix.
func replicaPair(t *testing.T, addr string, retention time.Duration) (*Backend, *Backend) {
	a := newBackend(t, []string{addr}, retention)
	b := newBackend(t, []string{addr}, retention, func(c *Config) { c.KeyPrefix = a.cfg.KeyPrefix })
	return a, b
}

func valueOf(t *testing.T, b *Backend, now time.Time) map[series.ID]series.State {
	t.Helper()
	states, _, err := b.Snapshot(context.Background(), now)
	require.NoError(t, err)
	out := map[series.ID]series.State{}
	for _, s := range states {
		out[s.ID] = s
	}
	return out
}

// TestReplicasInterleaveMatchMemory: two replicas apply batches of sums and gauges
// (the random edge-case points of TestMergeMatchesMemory: int64 wrap-around, doubles,
// zero points) on the same series in random order, with retried batch ids on either
// replica; the result is the memory backend's exactly. Both the client-side merge and
// its conflicts happen.
func TestReplicasInterleaveMatchMemory(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	ref := backend.NewMemory(time.Hour)
	ra, rb := replicaPair(t, srv.Addr, time.Hour)
	g := pointGen{rand.New(rand.NewPCG(11, 12))}
	ids := make([]series.ID, 48)
	for i := range ids {
		ids[i] = series.ID(g.r.Uint64())
	}
	reps := []*Backend{ra, rb}
	for n := range 120 {
		now := t0.Add(time.Duration(n) * 100 * time.Millisecond)
		ups := make([]series.Update, 0, len(ids))
		for k, id := range ids {
			if g.r.IntN(4) == 0 {
				continue
			}
			kind := series.Kind(1 + k%3)
			u := series.Update{ID: id, Kind: kind, Point: g.point(kind)}
			if g.r.IntN(5) == 0 {
				u.Desc = fmt.Appendf(nil, "d %s %d", id, g.r.IntN(3))
			}
			ups = append(ups, u)
		}
		// Long runs on one replica (its cache settles), then switches.
		r := reps[(n/6)%2]
		if g.r.IntN(8) == 0 {
			r = reps[g.r.IntN(2)]
		}
		batch := fmt.Sprintf("b%d", n)
		require.NoError(t, ref.Apply(ctx, batch, ups, now))
		require.NoError(t, r.Apply(ctx, batch, ups, now))
		if n%9 == 4 { // a retry, on either replica: applied once
			require.NoError(t, reps[g.r.IntN(2)].Apply(ctx, batch, ups, now))
		}
	}
	now := t0.Add(time.Minute)
	want, _, err := ref.Snapshot(ctx, now)
	require.NoError(t, err)
	for _, r := range reps {
		got, _, err := r.Snapshot(ctx, now)
		require.NoError(t, err)
		requireSameStates(t, want, got)
	}
	for _, r := range reps {
		require.Positive(t, r.casStats.ok.Load(), "client-side merges")
		require.Positive(t, r.casStats.conflicts.Load(), "conflicts")
	}
}

// TestCacheConflictFallsBack: a replica's write makes the other's compare-and-set fail;
// it writes nothing and the Lua merge applies the batch instead. Also after SCRIPT
// FLUSH (NOSCRIPT: re-sent with EVAL).
func TestCacheConflictFallsBack(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	ra, rb := replicaPair(t, srv.Addr, time.Hour)
	apply := func(r *Backend, batch string, v int64) {
		t.Helper()
		require.NoError(t, r.Apply(ctx, batch, []series.Update{sumUpdate(1, v, t0), sumUpdate(17, v, t0)}, t0))
	}
	apply(ra, "1", 1) // fills ra's cache
	apply(ra, "2", 2) // merged by ra
	require.EqualValues(t, 1, ra.casStats.ok.Load())
	apply(rb, "3", 4)
	apply(ra, "4", 8) // conflict: applysums.lua
	require.EqualValues(t, 1, ra.casStats.ok.Load())
	require.EqualValues(t, 1, ra.casStats.conflicts.Load())
	for _, s := range valueOf(t, ra, t0) {
		require.Equal(t, int64(15), s.Point.Int, "series %s", s.ID)
	}
	// After the back-off the cache fills again (the last Apply of the back-off) and the
	// client merges.
	for i := range casBackoff + 1 {
		apply(ra, fmt.Sprintf("r%d", i), 1)
	}
	require.EqualValues(t, 2, ra.casStats.ok.Load())
	_, err := srv.Do("SCRIPT", "FLUSH")
	require.NoError(t, err)
	apply(ra, "5", 100)
	require.EqualValues(t, 3, ra.casStats.ok.Load())
	for _, s := range valueOf(t, ra, t0) {
		require.Equal(t, int64(15+casBackoff+1+100), s.Point.Int, "series %s", s.ID)
	}
}

// TestCacheExpireByOtherReplica: another replica's Expire changes the shard's version,
// so a cached series it removed is not merged on its old value.
func TestCacheExpireByOtherReplica(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	ra, rb := replicaPair(t, srv.Addr, time.Hour)
	later := t0.Add(2 * time.Hour)
	// Series 1 and 17 share shard 1; 17 lives longer.
	require.NoError(t, ra.Apply(ctx, "1", []series.Update{sumUpdate(1, 1, t0), sumUpdate(17, 1, t0)}, t0))
	require.NoError(t, ra.Apply(ctx, "2", []series.Update{sumUpdate(17, 1, t0)}, t0.Add(90*time.Minute)))
	require.NoError(t, ra.Apply(ctx, "3", []series.Update{sumUpdate(1, 1, t0), sumUpdate(17, 1, t0)}, t0.Add(30*time.Minute)))
	require.EqualValues(t, 2, ra.casStats.ok.Load())
	n, err := rb.Expire(ctx, later)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.NoError(t, ra.Apply(ctx, "4", []series.Update{sumUpdate(1, 5, later), sumUpdate(17, 5, later)}, later))
	require.EqualValues(t, 1, ra.casStats.conflicts.Load())
	got := valueOf(t, ra, later)
	require.Equal(t, int64(5), got[1].Point.Int, "series 1 starts again")
	require.Equal(t, later.UnixNano(), got[1].FirstSeen)
	require.Equal(t, int64(8), got[17].Point.Int)
	require.Equal(t, t0.UnixNano(), got[17].FirstSeen)
	// Its own Expire drops the shard's cache too.
	n, err = ra.Expire(ctx, later.Add(2*time.Hour))
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.Zero(t, ra.cache[1].ver)
}

// TestCacheRetriedBatch: a batch id the shard already applied is acknowledged by the
// compare-and-set without writing, and the cache stays valid.
func TestCacheRetriedBatch(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	ra, rb := replicaPair(t, srv.Addr, time.Hour)
	ups := []series.Update{sumUpdate(1, 3, t0), sumUpdate(17, 3, t0)} // one shard
	require.NoError(t, ra.Apply(ctx, "x", ups, t0))
	require.NoError(t, ra.Apply(ctx, "y", ups, t0))
	require.NoError(t, ra.Apply(ctx, "y", ups, t0))
	require.NoError(t, rb.Apply(ctx, "y", ups, t0))
	require.NoError(t, ra.Apply(ctx, "z", ups, t0))
	require.EqualValues(t, 2, ra.casStats.ok.Load(), "y and z written by compare-and-set (the retried y acknowledged)")
	require.Zero(t, ra.casStats.conflicts.Load())
	for _, s := range valueOf(t, ra, t0) {
		require.Equal(t, int64(9), s.Point.Int, "series %s", s.ID)
	}
}

// TestCacheBound: the cache holds at most its bound; series beyond it take the Lua
// merge, with the same results.
func TestCacheBound(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	b := newBackend(t, []string{srv.Addr}, time.Hour)
	b.setCacheSeries(32) // 2 per shard
	ups := make([]series.Update, 100)
	for i := range ups {
		ups[i] = sumUpdate(series.ID(i), 1, t0)
	}
	for n := range 4 {
		require.NoError(t, b.Apply(ctx, fmt.Sprint(n), ups, t0))
	}
	for s, c := range b.cache {
		require.LessOrEqual(t, len(c.ents), 2, "shard %d", s)
	}
	got := valueOf(t, b, t0)
	require.Len(t, got, 100)
	for id, s := range got {
		require.Equal(t, int64(4), s.Point.Int, "series %s", id)
	}
	small := newBackend(t, []string{srv.Addr}, time.Hour)
	small.setCacheSeries(32)
	for n := range 3 {
		require.NoError(t, small.Apply(ctx, fmt.Sprint(n), ups[:32], t0))
	}
	require.EqualValues(t, 32, small.casStats.ok.Load(), "2 series per shard fit: merged by the client")
}
