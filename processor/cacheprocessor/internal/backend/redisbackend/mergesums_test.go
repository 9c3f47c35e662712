// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package redisbackend

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/otelcol-tasker/internal/testserver/redistest"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// TestMergeSumsMatchesMemory is TestMergeMatchesMemory for applysums.lua: batches of
// sums and gauges only, each series at most once per batch (so most shards take the
// fast path, which the test checks), with the random edge-case points, zero points,
// descriptors and retried batches; every few batches one repeats a series, which sends
// its shard to apply.lua. The memory backend is the reference. With changes of kind (ID
// collisions, which the memory backend does not model) the reference is apply.lua.
func TestMergeSumsMatchesMemory(t *testing.T) {
	srv := redistest.Start(t)
	for _, seed := range []uint64{7, 8} {
		mergeSums(t, backend.NewMemory(time.Hour), newBackend(t, []string{srv.Addr}, time.Hour), seed, false)
	}
	generic := newBackend(t, []string{srv.Addr}, time.Hour)
	generic.generic = true
	mergeSums(t, generic, newBackend(t, []string{srv.Addr}, time.Hour), 9, true)
}

func mergeSums(t *testing.T, ref backend.Backend, rb *Backend, seed uint64, kindChanges bool) {
	ctx := context.Background()
	g := pointGen{rand.New(rand.NewPCG(seed, 9))}
	ids := make([]series.ID, 60)
	for i := range ids {
		ids[i] = series.ID(g.r.Uint64())
	}
	fast := 0
	for b := range 80 {
		now := t0.Add(time.Duration(b) * time.Second)
		perm := g.r.Perm(len(ids))[:40]
		ups := make([]series.Update, 0, len(perm)+1)
		for _, k := range perm {
			kind := series.Kind(1 + k%3)
			if kindChanges {
				kind = series.Kind(1 + (k+b/20)%3) // every 20 batches
			}
			u := series.Update{ID: ids[k], Kind: kind, Point: g.point(kind)}
			if g.r.IntN(3) == 0 {
				u.Desc = fmt.Appendf(nil, "d %s\x00\n:{}- %d", ids[k], g.r.IntN(3))
			}
			ups = append(ups, u)
		}
		if b%7 == 5 {
			dup := ups[0]
			dup.Point = g.point(dup.Kind)
			ups = append(ups, dup)
		}
		e := newEncoder(len(rb.shards))
		for i := range ups {
			e.add(rb.shardOf(ups[i].ID), i)
		}
		for _, s := range e.used {
			if e.sumsOnly(ups, e.idx[s]) {
				fast++
			}
		}
		batch := fmt.Sprintf("b%d", b)
		require.NoError(t, ref.Apply(ctx, batch, ups, now))
		require.NoError(t, rb.Apply(ctx, batch, ups, now))
		if b%10 == 3 {
			require.NoError(t, rb.Apply(ctx, batch, ups, now))
		}
	}
	require.Greater(t, fast, 80*14, "most shard calls take applysums.lua")
	now := t0.Add(2 * time.Minute)
	want, _, err := ref.Snapshot(ctx, now)
	require.NoError(t, err)
	got, _, err := rb.Snapshot(ctx, now)
	require.NoError(t, err)
	requireSameStates(t, want, got)
}

// TestExpiryRounding: expiry scores are now + retention rounded up to the granule (1 s,
// or retention/100), never earlier, and equal within one granule.
func TestExpiryRounding(t *testing.T) {
	for _, c := range []struct {
		retention time.Duration
		granule   int64
	}{{time.Hour, 1000}, {time.Minute, 600}, {50 * time.Millisecond, 1}} {
		b := &Backend{retention: c.retention}
		require.Equal(t, c.granule, b.expiryGranule())
		for _, now := range []time.Time{t0, t0.Add(1), t0.Add(999 * time.Millisecond), time.UnixMilli(-1500), time.UnixMilli(-2000)} {
			got, err := strconv.ParseInt(b.expiry(now), 10, 64)
			require.NoError(t, err)
			exact := now.Add(c.retention).UnixMilli()
			assert.GreaterOrEqual(t, got, exact, "never earlier (%s, %s)", c.retention, now)
			assert.Less(t, got-exact, c.granule, "at most a granule later (%s, %s)", c.retention, now)
			assert.Zero(t, got%c.granule, "on the granule (%s, %s)", c.retention, now)
		}
	}
}
