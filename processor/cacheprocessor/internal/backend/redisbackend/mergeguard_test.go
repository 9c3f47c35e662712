// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package redisbackend

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/otelcol-tasker/internal/testserver/redistest"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// TestOlderReplicaTurnsClientMergeOff: a replica of an earlier release (a readiness
// marker without the versioned one, and writes that leave the shard's version as it
// was) turns the client-side merge off at the next check, so its increments are not
// overwritten; once its marker is gone the merge comes back on, from a refilled cache.
func TestOlderReplicaTurnsClientMergeOff(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	ra, rb := replicaPair(t, srv.Addr, time.Hour)
	require.NoError(t, ra.MarkReady(ctx, "new-a", 0, t0))
	require.True(t, ra.guard.ok.Load())
	ids := []series.ID{1, 17}
	apply := func(r *Backend, batch string, v int64) { t.Helper(); applySums(t, r, batch, v, ids...) }
	// olderWrite is what a replica of the earlier release does: it merges in Lua and
	// leaves the versions as they were.
	olderWrite := func(batch string, v int64) {
		t.Helper()
		vers := map[int]string{}
		for _, id := range ids {
			s := ra.shardOf(id)
			got, err := srv.Do("GET", ra.shards[s].keys[4])
			require.NoError(t, err)
			vers[s] = fmt.Sprint(got)
		}
		apply(rb, batch, v)
		for s, v := range vers {
			_, err := srv.Do("SET", ra.shards[s].keys[4], v)
			require.NoError(t, err)
		}
	}
	apply(ra, "1", 1)
	apply(ra, "2", 2)
	require.EqualValues(t, 1, ra.casStats.ok.Load(), "merged by the client")

	_, err := srv.Do("HSET", ra.global.replicas, "old-c", backend.FormatMark(backend.ReplicaMark{Seen: t0.UnixNano()}))
	require.NoError(t, err)
	ra.checkMerge(ctx) // what the next Apply's pipeline does within mergeCheckEvery
	require.False(t, ra.guard.ok.Load())
	olderWrite("3", 4)
	apply(ra, "4", 8) // not on the stale cache: 1+2+4+8
	require.EqualValues(t, 1, ra.casStats.ok.Load())
	for _, s := range valueOf(t, ra, t0) {
		require.Equal(t, int64(15), s.Point.Int, "series %s", s.ID)
	}

	require.NoError(t, ra.ForgetReplica(ctx, "old-c"))
	ra.checkMerge(ctx)
	require.True(t, ra.guard.ok.Load())
	for i := range casBackoff + 2 {
		apply(ra, fmt.Sprintf("r%d", i), 1)
	}
	require.Positive(t, ra.casStats.ok.Load()-1, "merged by the client again")
	for _, s := range valueOf(t, ra, t0) {
		require.Equal(t, int64(15+casBackoff+2), s.Point.Int, "series %s", s.ID)
	}
}

// TestMergeCheckRidesApply: Apply carries the check in its own pipeline (one round
// trip), at most once per mergeCheckEvery.
func TestMergeCheckRidesApply(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	h := &countHook{}
	r := newBackend(t, []string{srv.Addr}, time.Hour)
	r.client.AddHook(h)
	before := r.guard.checks.Load()
	r.guard.next.Store(0) // due now
	for i := range 5 {
		h.cmds.Store(0)
		h.pipelines.Store(0)
		require.NoError(t, r.Apply(ctx, fmt.Sprint(i), []series.Update{sumUpdate(3, 1, t0)}, t0))
		require.EqualValues(t, 1, h.roundTrips(), "Apply %d", i)
	}
	require.EqualValues(t, 1, r.guard.checks.Load()-before, "one check within mergeCheckEvery")
	_, err := srv.Do("HSET", r.global.replicas, "old-c", "0 0")
	require.NoError(t, err)
	r.guard.next.Store(0)
	require.NoError(t, r.Apply(ctx, "x", []series.Update{sumUpdate(3, 1, t0)}, t0))
	require.False(t, r.guard.ok.Load(), "the check in Apply's pipeline turned the merge off")
}

// TestVersionsSurviveLostWrites: a failover that loses a replica's last write (emulated
// by restoring the shard as it was before it) must not bring the shard back to the
// version that replica's cache remembers once another replica writes: versions follow
// the server's clock, so the next compare-and-set conflicts and the Lua merge adds the
// other replica's update (a counter would have come back to the same version, and the
// cached replica would have overwritten that update).
func TestVersionsSurviveLostWrites(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	ra, rb := replicaPair(t, srv.Addr, time.Hour)
	apply := func(r *Backend, batch string, v int64) { t.Helper(); applySums(t, r, batch, v, 1) }
	sh := ra.shards[ra.shardOf(1)]
	apply(ra, "1", 1) // fills ra's cache
	saved := map[string]string{}
	for _, k := range sh.keys {
		if v, err := ra.client.Dump(ctx, k).Result(); err == nil {
			saved[k] = v
		}
	}
	apply(ra, "2", 2) // merged by ra, then lost:
	require.EqualValues(t, 1, ra.casStats.ok.Load())
	for k, v := range saved {
		require.NoError(t, ra.client.RestoreReplace(ctx, k, 0, v).Err())
	}
	require.NoError(t, ra.client.Del(ctx, sh.batch+"2").Err())
	apply(rb, "3", 4)
	apply(ra, "4", 8)
	require.EqualValues(t, 1, ra.casStats.ok.Load(), "ra's cached version is gone")
	require.EqualValues(t, 1, ra.casStats.conflicts.Load())
	st := valueOf(t, ra, t0)[1]
	require.Equal(t, int64(1+4+8), st.Point.Int, "rb's update kept (ra's lost write stays lost)")
}

// TestClientCacheSeriesZero: client_cache_series 0 turns the client-side merge off:
// every batch is merged by the Lua scripts, with the same result.
func TestClientCacheSeriesZero(t *testing.T) {
	srv := redistest.Start(t)
	r := newBackend(t, []string{srv.Addr}, time.Hour, func(c *Config) { c.ClientCacheSeries = 0 })
	for i := range 5 {
		applySums(t, r, fmt.Sprint(i), 3, 1, 17)
	}
	require.Zero(t, r.casStats.ok.Load()+r.casStats.fills.Load())
	for _, s := range valueOf(t, r, t0) {
		require.Equal(t, int64(15), s.Point.Int, "series %s", s.ID)
	}
	on := newBackend(t, []string{srv.Addr}, time.Hour)
	for i := range 5 {
		applySums(t, on, fmt.Sprint(i), 3, 1, 17)
	}
	require.Positive(t, on.casStats.ok.Load(), "the default merges on the client")
}
