// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package redisbackend

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/otelcol-tasker/internal/testserver/redistest"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// pointGen makes random points with the edge cases the Lua port must get exactly right:
// int64 and uint64 wrap-around, int→double promotion of huge ints, NaN, ±Inf, -0,
// subnormals, negative and zero times, exponential histograms across scales.
type pointGen struct{ r *rand.Rand }

func (g pointGen) int64() int64 {
	switch g.r.IntN(6) {
	case 0:
		return math.MaxInt64 - g.r.Int64N(10)
	case 1:
		return math.MinInt64 + g.r.Int64N(10)
	case 2:
		return int64(g.r.Uint64())
	case 3:
		return -g.r.Int64N(1000)
	}
	return g.r.Int64N(1000)
}

func (g pointGen) uint64() uint64 {
	switch g.r.IntN(5) {
	case 0:
		return math.MaxUint64 - g.r.Uint64N(10)
	case 1:
		return g.r.Uint64()
	case 2:
		return 1<<53 + g.r.Uint64N(5)
	}
	return g.r.Uint64N(100)
}

func (g pointGen) float() float64 {
	switch g.r.IntN(12) {
	case 0:
		return math.NaN()
	case 1:
		return math.Inf(1)
	case 2:
		return math.Inf(-1)
	case 3:
		return math.Copysign(0, -1)
	case 4:
		return 5e-324 * float64(g.r.IntN(100))
	case 5:
		return 0.1
	case 6:
		return math.MaxFloat64 / float64(1+g.r.IntN(3))
	case 7:
		return 0
	}
	return (g.r.Float64() - 0.3) * math.Pow(10, float64(g.r.IntN(40)-20))
}

func (g pointGen) time() int64 {
	switch g.r.IntN(10) {
	case 0:
		return 0
	case 1:
		return -g.r.Int64N(1e12)
	case 2:
		return g.r.Int64N(1 << 40)
	}
	return t0.UnixNano() + g.r.Int64N(1e10) - 5e9
}

func (g pointGen) counts(max int) []uint64 {
	n := g.r.IntN(max + 1)
	if n == 0 {
		return nil
	}
	out := make([]uint64, n)
	for i := range out {
		if g.r.IntN(4) == 0 {
			out[i] = g.uint64()
		} else {
			out[i] = g.r.Uint64N(20)
		}
	}
	return out
}

func (g pointGen) point(kind series.Kind) series.Point {
	if g.r.IntN(25) == 0 {
		return series.Point{} // a zero point (isZero paths)
	}
	p := series.Point{Start: g.time(), Time: g.time()}
	switch kind {
	case series.KindDeltaSum, series.KindCumulativeSum, series.KindGauge:
		if g.r.IntN(2) == 0 {
			p.IsInt, p.Int = true, g.int64()
		} else {
			p.Double = g.float()
		}
	default:
		p.Count = g.uint64()
		p.Sum = g.float()
		p.HasMin, p.Min = g.r.IntN(3) > 0, g.float()
		p.HasMax, p.Max = g.r.IntN(3) > 0, g.float()
		if kind == series.KindDeltaHistogram || kind == series.KindCumulativeHistogram {
			p.Buckets = g.counts(6)
			break
		}
		p.Scale = int32(g.r.IntN(12) - 4)
		p.ZeroCount = g.uint64()
		p.PosOffset = int32(g.r.IntN(40) - 20)
		p.Pos = g.counts(8)
		p.NegOffset = int32(g.r.IntN(40) - 20)
		p.Neg = g.counts(8)
	}
	return p
}

func requireSameStates(t *testing.T, want, got []series.State) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		w, g := want[i], got[i]
		require.Equal(t, w.ID, g.ID)
		assert.Equal(t, w.Kind, g.Kind, "series %s kind", w.ID)
		assert.Equal(t, w.Desc, g.Desc, "series %s desc", w.ID)
		assert.Equal(t, w.FirstSeen, g.FirstSeen, "series %s first seen", w.ID)
		assert.Equal(t, w.LastUpdate, g.LastUpdate, "series %s last update", w.ID)
		assert.True(t, series.Equal(&w.Point, &g.Point), "series %s (kind %d):\nwant %+v\ngot  %+v", w.ID, w.Kind, w.Point, g.Point)
		if w.Kind == series.KindDeltaSum && !math.IsNaN(w.Point.Double) {
			assert.Equal(t, math.Float64bits(w.Point.Double), math.Float64bits(g.Point.Double), "series %s: same bits (-0)", w.ID)
		}
		require.Equal(t, w.Exported == nil, g.Exported == nil, "series %s exported", w.ID)
		if w.Exported != nil {
			assert.True(t, series.Equal(w.Exported, g.Exported), "series %s exported:\nwant %+v\ngot  %+v", w.ID, *w.Exported, *g.Exported)
		}
	}
}

// TestMergeMatchesMemory applies the same random batches, of every kind, to the memory
// backend (series.Merge in Go) and to Redis (the Lua port), and requires identical states.
func TestMergeMatchesMemory(t *testing.T) {
	srv := redistest.Start(t)
	for _, seed := range []uint64{42, 43, 44} {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			mergeMatchesMemoryAddrs(t, []string{srv.Addr}, seed)
		})
	}
}

func mergeMatchesMemoryAddrs(t *testing.T, addrs []string, seed uint64) {
	ctx := context.Background()
	rb := newBackend(t, addrs, time.Hour)
	mem := backend.NewMemory(time.Hour)
	g := pointGen{rand.New(rand.NewPCG(seed, 7))}
	const nSeries = 70
	var ids []series.ID
	kinds := map[series.ID]series.Kind{}
	for i := range nSeries {
		id := series.ID(g.r.Uint64())
		if i < 3 {
			id = series.ID(i) // 0 and small ids
		}
		ids = append(ids, id)
		kinds[id] = series.Kind(i%7 + 1)
	}
	for b := range 60 {
		now := t0.Add(time.Duration(b) * time.Second)
		ups := make([]series.Update, 40)
		for i := range ups {
			id := ids[g.r.IntN(len(ids))]
			u := series.Update{ID: id, Kind: kinds[id], Point: g.point(kinds[id])}
			if g.r.IntN(3) == 0 {
				u.Desc = []byte(fmt.Sprintf("d %s\x00\n:{}- %d", id, g.r.IntN(3)))
			}
			ups[i] = u
		}
		batch := fmt.Sprintf("b%d", b)
		require.NoError(t, mem.Apply(ctx, batch, ups, now))
		require.NoError(t, rb.Apply(ctx, batch, ups, now))
		if b%10 == 3 { // a retried batch is not applied twice
			require.NoError(t, mem.Apply(ctx, batch, ups, now))
			require.NoError(t, rb.Apply(ctx, batch, ups, now))
		}
	}
	now := t0.Add(time.Minute)
	want, wantMissing, err := mem.Snapshot(ctx, now)
	require.NoError(t, err)
	got, gotMissing, err := rb.Snapshot(ctx, now)
	require.NoError(t, err)
	assert.Equal(t, wantMissing, gotMissing)
	requireSameStates(t, want, got)

	// Exported points of every kind round-trip too.
	ml, ok, err := mem.AcquireLock(ctx, "m", time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	rl, ok, err := rb.AcquireLock(ctx, "r", time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, mem.MarkExported(ctx, ml, 5, want))
	require.NoError(t, rb.MarkExported(ctx, rl, 5, want))
	want, _, err = mem.Snapshot(ctx, now)
	require.NoError(t, err)
	got, _, err = rb.Snapshot(ctx, now)
	require.NoError(t, err)
	requireSameStates(t, want, got)
}

func TestCodecRoundTrip(t *testing.T) {
	g := pointGen{rand.New(rand.NewPCG(1, 2))}
	for i := range 2000 {
		kind := series.Kind(i%7 + 1)
		p := g.point(kind)
		b := appendPoint(nil, kind, &p)
		q, err := parsePoint(kind, string(b))
		require.NoError(t, err, "%s", b)
		require.True(t, series.Equal(&p, &q), "%s\n%+v\n%+v", b, p, q)
		x, err := parseExported(string(appendExported(nil, kind, &p)))
		require.NoError(t, err)
		require.True(t, series.Equal(&p, x))
	}
	for _, bad := range []string{"", "1", "1 2", "1 2 i", "1 2 3 4", "g 2 3", "1 2 i-1", "1 2 3 0 ~ ~ -"} {
		_, err := parsePoint(series.KindDeltaSum, bad)
		assert.Error(t, err, "%q", bad)
	}
	_, err := parsePoint(series.KindDeltaHistogram, "1 2 3 0 ~ 1 1,,2")
	assert.Error(t, err)
	var st series.State
	assert.Error(t, parseValue("9abc", &st))
	assert.Error(t, parseValue("1abc", &st))
	assert.Error(t, parseValue("1a b", &st))
	require.NoError(t, parseValue("1a b 0 0 i5", &st))
	assert.Equal(t, int64(5), st.Point.Int)
	assert.Equal(t, int64(10), st.FirstSeen)
	assert.Equal(t, "00000000000000ff", string(appendID(nil, 255)))
}
