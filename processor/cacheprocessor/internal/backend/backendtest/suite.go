// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package backendtest is the conformance suite every tasker_cache backend passes, so
// memory, Redis and memcached aggregate by exactly the same rules.
package backendtest // import "github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend/backendtest"

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// Factory returns a started backend, empty and isolated from every other one it returned
// (e.g. its own key prefix), whose series expire retention after their last update.
type Factory func(t *testing.T, retention time.Duration) backend.Backend

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func desc(id series.ID) []byte { return []byte(fmt.Sprintf("0123456789abcdef-desc-%d", id)) }

func sumUp(id series.ID, v int64, ts time.Time) series.Update {
	return series.Update{ID: id, Kind: series.KindDeltaSum, Desc: desc(id), Point: series.Point{Start: ts.Add(-time.Second).UnixNano(), Time: ts.UnixNano(), IsInt: true, Int: v}}
}

func byID(t *testing.T, b backend.Backend, now time.Time) map[series.ID]series.State {
	t.Helper()
	states, missing, err := b.Snapshot(context.Background(), now)
	require.NoError(t, err)
	require.Zero(t, missing)
	out := map[series.ID]series.State{}
	for _, s := range states {
		out[s.ID] = s
	}
	return out
}

// Run runs the suite.
func Run(t *testing.T, newBackend Factory) {
	ctx := context.Background()
	runIngest(t, newBackend)
	t.Run("DeltaSumsAdd", func(t *testing.T) {
		b := newBackend(t, time.Hour)
		require.NoError(t, b.Apply(ctx, "b1", []series.Update{sumUp(1, 3, t0), sumUp(2, 5, t0), sumUp(1, 4, t0.Add(time.Second))}, t0))
		double := series.Update{ID: 3, Kind: series.KindDeltaSum, Desc: desc(3), Point: series.Point{Time: t0.UnixNano(), Double: 0.1}}
		require.NoError(t, b.Apply(ctx, "b2", []series.Update{double, double, double}, t0))
		got := byID(t, b, t0)
		require.Len(t, got, 3)
		assert.Equal(t, int64(7), got[1].Point.Int)
		assert.True(t, got[1].Point.IsInt)
		assert.Equal(t, t0.Add(time.Second).UnixNano(), got[1].Point.Time)
		assert.Equal(t, t0.Add(-time.Second).UnixNano(), got[1].Point.Start)
		assert.Equal(t, int64(5), got[2].Point.Int)
		tenth := 0.1
		assert.Equal(t, math.Float64bits(tenth+tenth+tenth), math.Float64bits(got[3].Point.Double),
			"doubles add in IEEE 754 float64, in order, exactly as Go does (0.30000000000000004)")
		assert.Equal(t, desc(1), got[1].Desc)
		assert.Equal(t, series.KindDeltaSum, got[1].Kind)
		assert.Equal(t, t0.UnixNano(), got[1].FirstSeen)
		assert.Equal(t, t0.UnixNano(), got[1].LastUpdate)
	})

	t.Run("BatchIsIdempotent", func(t *testing.T) {
		b := newBackend(t, time.Hour)
		batch := []series.Update{sumUp(1, 10, t0)}
		require.NoError(t, b.Apply(ctx, "same", batch, t0))
		require.NoError(t, b.Apply(ctx, "same", batch, t0.Add(time.Second)))
		require.NoError(t, b.Apply(ctx, "other", batch, t0.Add(time.Second)))
		assert.Equal(t, int64(20), byID(t, b, t0.Add(time.Second))[1].Point.Int)
	})

	t.Run("DescriptorStoredOnce", func(t *testing.T) {
		b := newBackend(t, time.Hour)
		require.NoError(t, b.Apply(ctx, "a", []series.Update{sumUp(1, 1, t0)}, t0))
		u := sumUp(1, 1, t0)
		u.Desc = nil
		require.NoError(t, b.Apply(ctx, "b", []series.Update{u}, t0))
		u.Desc = []byte("0123456789abcdef-other")
		require.NoError(t, b.Apply(ctx, "c", []series.Update{u}, t0))
		got := byID(t, b, t0)
		assert.Equal(t, desc(1), got[1].Desc, "the first descriptor stays")
		assert.Equal(t, int64(3), got[1].Point.Int)
		// A series that never got a descriptor is reported as missing, not returned.
		orphan := sumUp(9, 1, t0)
		orphan.Desc = nil
		require.NoError(t, b.Apply(ctx, "d", []series.Update{orphan}, t0))
		states, missing, err := b.Snapshot(ctx, t0)
		require.NoError(t, err)
		assert.Len(t, states, 1)
		assert.Equal(t, 1, missing)
	})

	t.Run("GaugeNewestWins", func(t *testing.T) {
		b := newBackend(t, time.Hour)
		g := func(v float64, ts time.Time) series.Update {
			return series.Update{ID: 7, Kind: series.KindGauge, Desc: desc(7), Point: series.Point{Time: ts.UnixNano(), Double: v}}
		}
		require.NoError(t, b.Apply(ctx, "1", []series.Update{g(1, t0.Add(2*time.Second))}, t0))
		require.NoError(t, b.Apply(ctx, "2", []series.Update{g(2, t0.Add(time.Second))}, t0)) // older: ignored
		assert.Equal(t, 1.0, byID(t, b, t0)[7].Point.Double)
		require.NoError(t, b.Apply(ctx, "3", []series.Update{g(math.Inf(-1), t0.Add(3*time.Second))}, t0))
		assert.True(t, math.IsInf(byID(t, b, t0)[7].Point.Double, -1))
	})

	t.Run("CumulativeNewestWinsWithReset", func(t *testing.T) {
		b := newBackend(t, time.Hour)
		c := func(v int64, start, ts time.Time) series.Update {
			return series.Update{ID: 8, Kind: series.KindCumulativeSum, Desc: desc(8), Point: series.Point{Start: start.UnixNano(), Time: ts.UnixNano(), IsInt: true, Int: v}}
		}
		require.NoError(t, b.Apply(ctx, "1", []series.Update{c(10, t0, t0.Add(time.Second)), c(15, t0, t0.Add(2*time.Second)), c(12, t0, t0.Add(1500*time.Millisecond))}, t0))
		got := byID(t, b, t0)[8].Point
		assert.Equal(t, int64(15), got.Int, "out-of-order older point ignored")
		require.NoError(t, b.Apply(ctx, "2", []series.Update{c(2, t0.Add(time.Minute), t0.Add(time.Minute+time.Second))}, t0))
		got = byID(t, b, t0)[8].Point
		assert.Equal(t, int64(2), got.Int, "reset: the new start replaces")
		assert.Equal(t, t0.Add(time.Minute).UnixNano(), got.Start)
	})

	t.Run("HistogramsMerge", func(t *testing.T) {
		b := newBackend(t, time.Hour)
		h := func(counts []uint64, sum, mn, mx float64) series.Update {
			var n uint64
			for _, c := range counts {
				n += c
			}
			return series.Update{ID: 11, Kind: series.KindDeltaHistogram, Desc: desc(11), Point: series.Point{
				Time: t0.UnixNano(), Count: n, Sum: sum, HasMin: true, Min: mn, HasMax: true, Max: mx, Buckets: counts}}
		}
		require.NoError(t, b.Apply(ctx, "1", []series.Update{h([]uint64{1, 0, 2}, 3.5, 0.01, 2), h([]uint64{0, 4, 1}, 1.25, 0.001, 1)}, t0))
		p := byID(t, b, t0)[11].Point
		assert.Equal(t, []uint64{1, 4, 3}, p.Buckets)
		assert.Equal(t, uint64(8), p.Count)
		assert.Equal(t, 4.75, p.Sum)
		assert.Equal(t, 0.001, p.Min)
		assert.Equal(t, 2.0, p.Max)

		e1 := series.Update{ID: 12, Kind: series.KindDeltaExpHistogram, Desc: desc(12), Point: series.Point{Time: t0.UnixNano(), Scale: 2, Count: 6, Sum: 9, ZeroCount: 1, PosOffset: 4, Pos: []uint64{1, 2, 2}}}
		e2 := series.Update{ID: 12, Kind: series.KindDeltaExpHistogram, Desc: desc(12), Point: series.Point{Time: t0.UnixNano(), Scale: 1, Count: 3, Sum: 4, PosOffset: 1, Pos: []uint64{3}, NegOffset: -1, Neg: []uint64{0, 0}}}
		require.NoError(t, b.Apply(ctx, "2", []series.Update{e1, e2}, t0))
		want := e1.Point
		series.Merge(series.KindDeltaExpHistogram, &want, &e2.Point)
		got := byID(t, b, t0)[12].Point
		assert.True(t, series.Equal(&want, &got), "exp histogram merged at the common scale: want %+v got %+v", want, got)
		assert.Equal(t, int32(1), got.Scale)
	})

	t.Run("ExpiryAndTTLExtension", func(t *testing.T) {
		b := newBackend(t, time.Minute)
		require.NoError(t, b.Apply(ctx, "1", []series.Update{sumUp(1, 1, t0), sumUp(2, 1, t0)}, t0))
		require.NoError(t, b.Apply(ctx, "2", []series.Update{sumUp(2, 1, t0)}, t0.Add(30*time.Second)))
		got := byID(t, b, t0.Add(59*time.Second))
		assert.Len(t, got, 2)
		got = byID(t, b, t0.Add(61*time.Second))
		assert.Len(t, got, 1, "series 1 expired a minute after its last update")
		assert.Contains(t, got, series.ID(2))
		require.NoError(t, b.ExtendTTL(ctx, []series.ID{2}, t0.Add(5*time.Minute)))
		assert.Contains(t, byID(t, b, t0.Add(4*time.Minute)), series.ID(2), "extended")
		n, err := b.Expire(ctx, t0.Add(10*time.Minute))
		require.NoError(t, err)
		assert.GreaterOrEqual(t, n, 0)
		assert.Empty(t, byID(t, b, t0.Add(10*time.Minute)))
	})

	t.Run("ExportLock", func(t *testing.T) {
		b := newBackend(t, time.Hour)
		l1, ok, err := b.AcquireLock(ctx, "replica-a", 2*time.Second)
		require.NoError(t, err)
		require.True(t, ok)
		_, ok, err = b.AcquireLock(ctx, "replica-b", 2*time.Second)
		require.NoError(t, err)
		assert.False(t, ok, "held by replica-a")
		require.NoError(t, l1.Renew(ctx, 2*time.Second))
		require.NoError(t, l1.Release(ctx))
		assert.ErrorIs(t, l1.Renew(ctx, time.Second), backend.ErrLockLost)
		l2, ok, err := b.AcquireLock(ctx, "replica-b", 300*time.Millisecond)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Greater(t, l2.Token(), l1.Token(), "fencing tokens increase")
		time.Sleep(600 * time.Millisecond)
		l3, ok, err := b.AcquireLock(ctx, "replica-c", time.Second)
		require.NoError(t, err)
		require.True(t, ok, "an expired lock can be taken")
		assert.Greater(t, l3.Token(), l2.Token())
		// The stale holder can neither renew, mark nor release the new holder's lock.
		assert.ErrorIs(t, l2.Renew(ctx, time.Second), backend.ErrLockLost)
		assert.ErrorIs(t, b.MarkExported(ctx, l2, 42, nil), backend.ErrLockLost)
		require.NoError(t, l2.Release(ctx))
		_, ok, err = b.AcquireLock(ctx, "replica-d", time.Second)
		require.NoError(t, err)
		assert.False(t, ok, "l2's release must not delete l3's lock")
		require.NoError(t, l3.Release(ctx))
	})

	t.Run("MarkExported", func(t *testing.T) {
		b := newBackend(t, time.Hour)
		require.NoError(t, b.Apply(ctx, "1", []series.Update{sumUp(1, 5, t0)}, t0))
		last, err := b.LastExported(ctx)
		require.NoError(t, err)
		assert.Zero(t, last)
		l, ok, err := b.AcquireLock(ctx, "a", 5*time.Second)
		require.NoError(t, err)
		require.True(t, ok)
		states := byID(t, b, t0)
		exp := states[1]
		ghost := series.State{ID: 99, Kind: series.KindDeltaSum, Point: series.Point{IsInt: true, Int: 1}}
		require.NoError(t, b.MarkExported(ctx, l, t0.UnixNano(), []series.State{exp, ghost}))
		last, err = b.LastExported(ctx)
		require.NoError(t, err)
		assert.Equal(t, t0.UnixNano(), last)
		require.NoError(t, b.Apply(ctx, "2", []series.Update{sumUp(1, 2, t0)}, t0))
		got := byID(t, b, t0)
		require.Len(t, got, 1, "marking does not create series")
		require.NotNil(t, got[1].Exported)
		assert.Equal(t, int64(5), got[1].Exported.Int)
		assert.Equal(t, int64(7), got[1].Point.Int)
		require.NoError(t, l.Release(ctx))
	})

	t.Run("ConcurrentAppliesAreExact", func(t *testing.T) {
		b := newBackend(t, time.Hour)
		const workers, batches, per = 4, 25, 20
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range batches {
					ups := make([]series.Update, per)
					for j := range ups {
						ups[j] = sumUp(series.ID(j%5+1), int64(w+1), t0)
					}
					if err := b.Apply(ctx, fmt.Sprintf("w%d-b%d", w, i), ups, t0); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		got := byID(t, b, t0)
		var total int64
		for _, s := range got {
			total += s.Point.Int
		}
		// Each worker w adds (w+1) per update: per*batches updates each.
		assert.Equal(t, int64((1+2+3+4)*per*batches), total)
		assert.Len(t, got, 5)
	})

	t.Run("ContextCancelled", func(t *testing.T) {
		b := newBackend(t, time.Hour)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		err := b.Apply(cctx, "x", []series.Update{sumUp(1, 1, t0)}, t0)
		if err != nil {
			assert.True(t, errors.Is(err, context.Canceled), "a cancelled call fails with the context's error: %v", err)
		}
	})
	t.Run("ReadinessMarkers", func(t *testing.T) {
		b := newBackend(t, time.Hour)
		if b.Capabilities().Distributed == false {
			ms, err := b.Replicas(ctx)
			require.NoError(t, err)
			assert.Empty(t, ms, "a local backend has no other replica")
			return
		}
		require.NoError(t, b.MarkReady(ctx, "a", 10, t0))
		require.NoError(t, b.MarkReady(ctx, "b", 20, t0.Add(time.Second)))
		require.NoError(t, b.MarkReady(ctx, "a", 30, t0.Add(2*time.Second)))
		ms, err := b.Replicas(ctx)
		require.NoError(t, err)
		assert.Equal(t, map[string]backend.ReplicaMark{
			"a": {Ready: 30, Seen: t0.Add(2 * time.Second).UnixNano()},
			"b": {Ready: 20, Seen: t0.Add(time.Second).UnixNano()},
		}, ms)
		require.NoError(t, b.ForgetReplica(ctx, "a"))
		require.NoError(t, b.ForgetReplica(ctx, "nobody"))
		ms, err = b.Replicas(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{"b"}, slices.Collect(maps.Keys(ms)))
	})
}
