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
	apply := func(r *Backend, batch string, v int64) {
		t.Helper()
		require.NoError(t, r.Apply(ctx, batch, []series.Update{sumUpdate(ids[0], v, t0), sumUpdate(ids[1], v, t0)}, t0))
	}
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
