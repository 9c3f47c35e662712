// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// TestPendingEqualsSequentialApply: merging updates locally (apply_interval) and
// applying the result once leaves a store in the same state as applying every update
// in order, for every kind of series.
func TestPendingEqualsSequentialApply(t *testing.T) {
	ctx := context.Background()
	now := t0
	var ups []series.Update
	for i := range 60 {
		ts := now.Add(time.Duration(i) * time.Second).UnixNano()
		id := series.ID(i%6 + 1)
		switch i % 6 {
		case 0: // delta int sum
			ups = append(ups, series.Update{ID: id, Kind: series.KindDeltaSum, Desc: []byte("d"), Point: series.Point{Start: ts - 1e9, Time: ts, IsInt: true, Int: int64(i)}})
		case 1: // delta double sum
			ups = append(ups, series.Update{ID: id, Kind: series.KindDeltaSum, Desc: []byte("d"), Point: series.Point{Start: ts - 1e9, Time: ts, Double: float64(i) / 4}})
		case 2: // gauge, out of order
			ups = append(ups, series.Update{ID: id, Kind: series.KindGauge, Desc: []byte("d"), Point: series.Point{Time: ts - int64(i%4)*3e9, Double: float64(i)}})
		case 3: // cumulative sum with a reset half-way
			start := now.UnixNano()
			if i > 30 {
				start = now.Add(30 * time.Second).UnixNano()
			}
			ups = append(ups, series.Update{ID: id, Kind: series.KindCumulativeSum, Desc: []byte("d"), Point: series.Point{Start: start, Time: ts, IsInt: true, Int: int64(i)}})
		case 4: // delta histogram
			ups = append(ups, series.Update{ID: id, Kind: series.KindDeltaHistogram, Desc: []byte("d"), Point: series.Point{Start: ts - 1e9, Time: ts,
				Count: 3, Sum: float64(i), HasMin: true, Min: float64(i % 5), HasMax: true, Max: float64(i), Buckets: []uint64{1, 2, 0}}})
		case 5: // delta int sum, first point without a descriptor
			u := series.Update{ID: id, Kind: series.KindDeltaSum, Point: series.Point{Start: ts - 1e9, Time: ts, IsInt: true, Int: 1}}
			if i > 5 {
				u.Desc = []byte("d")
			}
			ups = append(ups, u)
		}
	}
	seq := backend.NewMemory(time.Hour)
	for i := range ups {
		require.NoError(t, seq.Apply(ctx, fmt.Sprint(i), ups[i:i+1], now))
	}
	var q pending
	for i := range ups {
		u := ups[i]
		q.add(&u)
	}
	assert.Equal(t, 6, q.len())
	merged := backend.NewMemory(time.Hour)
	require.NoError(t, merged.Apply(ctx, "once", q.take(), now))
	assert.Zero(t, q.len())

	a, _, err := seq.Snapshot(ctx, now)
	require.NoError(t, err)
	b, _, err := merged.Snapshot(ctx, now)
	require.NoError(t, err)
	require.Len(t, b, len(a))
	byID := map[series.ID]series.State{}
	for _, s := range b {
		byID[s.ID] = s
	}
	for _, s := range a {
		assert.Equal(t, s.Point, byID[s.ID].Point, "series %d", s.ID)
		assert.Equal(t, s.Desc, byID[s.ID].Desc, "series %d", s.ID)
	}
}
