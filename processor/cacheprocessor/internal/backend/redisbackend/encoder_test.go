// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package redisbackend

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// Tests of what Apply encodes with (idset.go, the packer and plans in cache.go, codec.go).

// TestIDSet: the set reports duplicates as a map does, across resets (nothing of an
// earlier epoch is still in it), growth, colliding IDs and the epoch's wrap-around.
func TestIDSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var s idSet
	for round := range 300 {
		n := 1 + rng.IntN(200)
		if round == 200 {
			s.cur = math.MaxUint32 // the next reset wraps
		}
		s.reset(n)
		want := map[series.ID]bool{}
		for range n {
			// small IDs (many duplicates), and IDs equal modulo the table size
			id := series.ID(rng.Uint64N(uint64(n)))
			if rng.IntN(2) == 0 {
				id = series.ID(rng.Uint64N(4) << 40)
			}
			require.Equal(t, !want[id], s.add(id), "round %d, id %x", round, uint64(id))
			want[id] = true
		}
	}
	s.reset(3)
	assert.True(t, s.add(0), "0 is an ID like any other")
	assert.False(t, s.add(0))
}

// TestAppendUint: the hex digits are strconv's.
func TestAppendUint(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	vals := []uint64{0, 1, 9, 10, 15, 16, 255, 256, 1<<60 - 1, 1 << 60, math.MaxUint64, math.MaxInt64, 1 << 63}
	for range 10_000 {
		vals = append(vals, rng.Uint64()>>rng.UintN(64))
	}
	for _, v := range vals {
		require.Equal(t, "x"+strconv.FormatUint(v, 16), string(appendUint([]byte("x"), v)), "%d", v)
		require.Equal(t, strconv.FormatUint(v, 16), string(appendInt(nil, int64(v))), "%d", v)
	}
}

// TestPlanBufs: the plans of one Apply do not share elements, and appending to one does
// not write into the next.
func TestPlanBufs(t *testing.T) {
	var b planBufs
	b.reset(10)
	p1, p2 := b.take(4), b.take(6)
	for k := range p1.ids {
		p1.ids[k] = 1
	}
	for k := range p2.ids {
		p2.ids[k] = 2
	}
	assert.Equal(t, []series.ID{1, 1, 1, 1}, p1.ids)
	p1.ids = append(p1.ids, 9)
	assert.Equal(t, []series.ID{2, 2, 2, 2, 2, 2}, p2.ids)
	assert.Len(t, p2.ents, 6)
	assert.Len(t, p2.raise, 6)
}

// TestPackerRefs: every argument keeps its bytes while the buffer grows into new arrays
// (many arguments in one Apply), and reset starts the next Apply empty.
func TestPackerRefs(t *testing.T) {
	var p packer
	for round := range 2 {
		var want []string
		for k := range 5000 {
			s := strconv.Itoa(k*7919) + "-" + strconv.Itoa(round)
			p.buf = append(p.buf, s...)
			p.end()
			want = append(want, s)
		}
		require.Len(t, p.refs, len(want))
		for k, r := range p.refs {
			b, err := r.MarshalBinary()
			require.NoError(t, err)
			require.Equal(t, want[k], string(b), "argument %d", k)
		}
		p.reset()
		assert.Empty(t, p.buf)
		assert.Empty(t, p.refs)
	}
}

// TestEntryPoint: a cached entry encodes its point as appendPoint encodes the same point.
func TestEntryPoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	floats := []float64{0, -0.0, 1.5, -3.25e-300, math.MaxFloat64, math.SmallestNonzeroFloat64, math.NaN(), math.Inf(1), math.Inf(-1)}
	for k := range 2000 {
		pt := series.Point{Start: int64(rng.Uint64()), Time: int64(rng.Uint64() >> rng.UintN(64)), IsInt: k%2 == 0}
		if pt.IsInt {
			pt.Int = int64(rng.Uint64()) >> rng.UintN(64)
		} else {
			pt.Double = floats[k%len(floats)] * float64(1+rng.IntN(3))
		}
		var e centry
		e.setPoint(&pt)
		require.Equal(t, string(appendPoint(nil, series.KindGauge, &pt)), string(e.appendPoint(nil)), "%+v", pt)
	}
}
