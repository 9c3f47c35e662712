// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package backendtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// describer counts its calls; err makes them fail.
type describer struct {
	calls int
	err   error
}

func (d *describer) Template() (*series.Template, error) {
	d.calls++
	return &series.Template{MD: pmetric.NewMetrics()}, d.err
}

// ingest adds ups to a batch opened by Begin, each point's slices in a scratch buffer
// overwritten after every Add (as the processor's are), and commits it.
func ingest(t *testing.T, b backend.Backend, batchID string, ups []series.Update, now time.Time) {
	t.Helper()
	tx := b.Begin(batchID, now)
	tx.Grow(len(ups))
	var scratch []uint64
	for i := range ups {
		u := ups[i]
		scratch = append(scratch[:0], u.Point.Buckets...)
		u.Point.Buckets = scratch
		require.NoError(t, tx.Add(&u, nil))
		for j := range scratch {
			scratch[j] = 1 << 40 // a batch that kept the caller's slice would see this
		}
	}
	require.NoError(t, tx.Commit(context.Background()))
}

// runIngest: a batch of Ingester.Begin applies as Apply does (the same merges,
// descriptors, idempotency) whatever the caller does with its slices afterwards.
func runIngest(t *testing.T, newBackend Factory) {
	ctx := context.Background()
	t.Run("IngestMergesAsApply", func(t *testing.T) {
		h := func(counts []uint64, sum float64) series.Update {
			return series.Update{ID: 11, Kind: series.KindDeltaHistogram, Desc: desc(11), Point: series.Point{
				Time: t0.UnixNano(), Count: 3, Sum: sum, HasMin: true, Min: 0.5, HasMax: true, Max: sum, Buckets: counts}}
		}
		g := series.Update{ID: 7, Kind: series.KindGauge, Desc: desc(7), Point: series.Point{Time: t0.UnixNano(), Double: 2.5}}
		undescribed := sumUp(9, 2, t0)
		undescribed.Desc = nil
		ups := []series.Update{sumUp(1, 3, t0), h([]uint64{1, 0, 2}, 3.5), g, sumUp(1, 4, t0.Add(time.Second)),
			undescribed, h([]uint64{0, 2, 1}, 1.25), sumUp(9, 1, t0)}
		applied, ingested := newBackend(t, time.Hour), newBackend(t, time.Hour)
		require.NoError(t, applied.Apply(ctx, "b1", ups, t0))
		ingest(t, ingested, "b1", ups, t0)
		want, got := byID(t, applied, t0), byID(t, ingested, t0)
		require.Len(t, got, len(want))
		for id, w := range want {
			g := got[id]
			assert.True(t, series.Equal(&w.Point, &g.Point), "series %d: want %+v got %+v", id, w.Point, g.Point)
			assert.Equal(t, w.Desc, got[id].Desc, "series %d", id)
			assert.Equal(t, w.Kind, got[id].Kind, "series %d", id)
			assert.Equal(t, w.FirstSeen, got[id].FirstSeen, "series %d", id)
			assert.Equal(t, w.LastUpdate, got[id].LastUpdate, "series %d", id)
		}
		assert.Equal(t, []uint64{1, 2, 3}, got[11].Point.Buckets, "the scratch slices were copied")
		assert.Equal(t, desc(9), got[9].Desc, "a later update describes a series")
	})

	t.Run("IngestIsIdempotent", func(t *testing.T) {
		b := newBackend(t, time.Hour)
		batch := []series.Update{sumUp(1, 10, t0)}
		ingest(t, b, "same", batch, t0)
		ingest(t, b, "same", batch, t0.Add(time.Second))
		ingest(t, b, "other", batch, t0.Add(time.Second))
		require.NoError(t, b.Apply(ctx, "same", batch, t0.Add(time.Second)), "Apply and Begin share the batch ids")
		assert.Equal(t, int64(20), byID(t, b, t0.Add(time.Second))[1].Point.Int)
		ingest(t, b, "", batch, t0)
		ingest(t, b, "", batch, t0)
		assert.Equal(t, int64(40), byID(t, b, t0.Add(time.Second))[1].Point.Int, "without an id, every batch counts")
		tx := b.Begin("empty", t0)
		require.NoError(t, tx.Commit(ctx), "an empty batch commits")
	})

	t.Run("IngestAdmitsAndLen", func(t *testing.T) {
		b := newBackend(t, time.Hour)
		require.NoError(t, b.Apply(ctx, "1", []series.Update{sumUp(1, 1, t0), sumUp(2, 1, t0)}, t0))
		tx := b.Begin("", t0)
		if n := tx.Len(); n >= 0 {
			assert.Equal(t, 2, n)
			assert.True(t, tx.Admits(1, 2), "a held series is admitted when full")
			assert.False(t, tx.Admits(3, 2), "a new one is not")
			assert.True(t, tx.Admits(3, 3), "while there is room")
			assert.True(t, tx.Admits(3, 0), "no bound")
		} else {
			assert.True(t, tx.Admits(3, 2), "a batch that cannot count leaves admission to the store")
		}
		require.NoError(t, tx.Commit(ctx))
	})

	t.Run("IngestDescriber", func(t *testing.T) {
		b := newBackend(t, time.Hour)
		distributed := b.Capabilities().Distributed
		u := sumUp(1, 1, t0)
		u.Desc = nil
		d := &describer{}
		tx := b.Begin("1", t0)
		require.NoError(t, tx.Add(&u, d))
		u.ID = 2
		require.NoError(t, tx.Add(&u, d))
		u.Desc = desc(3)
		u.ID = 3
		require.NoError(t, tx.Add(&u, d))
		require.NoError(t, tx.Commit(ctx))
		states, missing, err := b.Snapshot(ctx, t0)
		require.NoError(t, err)
		if distributed {
			assert.Zero(t, d.calls, "a distributed store takes encoded descriptors only (Update.Desc)")
			assert.Len(t, states, 1)
			assert.Equal(t, 2, missing)
		} else {
			assert.Equal(t, 2, d.calls, "called for the series without a descriptor, not for the one with u.Desc")
			assert.Len(t, states, 3)
			assert.Zero(t, missing)
		}

		failing := &describer{err: errors.New("cannot describe")}
		u.ID, u.Desc = 4, nil
		tx = b.Begin("2", t0)
		err = tx.Add(&u, failing)
		require.NoError(t, tx.Commit(ctx))
		states, missing2, err2 := b.Snapshot(ctx, t0)
		require.NoError(t, err2)
		if distributed {
			require.NoError(t, err)
			assert.Equal(t, missing+1, missing2, "added without a descriptor")
		} else {
			require.ErrorIs(t, err, failing.err, "Add returns the describer's error")
			assert.Equal(t, missing, missing2, "and adds nothing")
			assert.Len(t, states, 3)
		}
	})
}
