// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package series is the aggregation model of the tasker_cache processor: the identity
// of a series, the state of its point, and the merge rules every backend applies
// (memory and memcached in Go, Redis in Lua — the same rules, checked by the backend
// conformance suite).
package series // import "github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"

import (
	"math"
	"strconv"
)

// ID identifies a series: xxhash64 of its canonical identity (resource attributes,
// scope, metric name/unit/type/temporality/monotonicity, data point attributes and,
// for histograms, the bucket bounds). The same on every replica and across restarts.
type ID uint64

// String is the 16-digit lower-case hex form used in backend keys.
func (id ID) String() string {
	var b [16]byte
	s := strconv.AppendUint(b[:0], uint64(id), 16)
	out := make([]byte, 16)
	for i := range out {
		out[i] = '0'
	}
	copy(out[16-len(s):], s)
	return string(out)
}

// ParseID parses the String form.
func ParseID(s string) (ID, error) {
	v, err := strconv.ParseUint(s, 16, 64)
	return ID(v), err
}

// Kind says how points of a series merge.
type Kind uint8

const (
	// KindDeltaSum: delta sums are added.
	KindDeltaSum Kind = 1
	// KindCumulativeSum: the newest point (by time) wins; a changed start time is a reset.
	KindCumulativeSum Kind = 2
	// KindGauge: the newest point by timestamp wins.
	KindGauge Kind = 3
	// KindDeltaHistogram: count, sum and buckets are added, min/max kept.
	KindDeltaHistogram Kind = 4
	// KindCumulativeHistogram: the newest point wins; a changed start time is a reset.
	KindCumulativeHistogram Kind = 5
	// KindDeltaExpHistogram: merged at the coarser of the two scales, then added.
	KindDeltaExpHistogram Kind = 6
	// KindCumulativeExpHistogram: the newest point wins.
	KindCumulativeExpHistogram Kind = 7
)

// Additive reports whether points of the kind are added (delta) rather than replaced.
func (k Kind) Additive() bool {
	return k == KindDeltaSum || k == KindDeltaHistogram || k == KindDeltaExpHistogram
}

// Point is the state of one series (or one incoming data point). Times are Unix nanos.
type Point struct {
	Start int64 `json:"st,omitempty"`
	Time  int64 `json:"t,omitempty"`

	// Sums and gauges.
	IsInt  bool    `json:"ii,omitempty"`
	Int    int64   `json:"i,omitempty"`
	Double float64 `json:"d,omitempty"`

	// Histograms (explicit and exponential).
	Count   uint64   `json:"c,omitempty"`
	Sum     float64  `json:"s,omitempty"`
	HasMin  bool     `json:"hmn,omitempty"`
	Min     float64  `json:"mn,omitempty"`
	HasMax  bool     `json:"hmx,omitempty"`
	Max     float64  `json:"mx,omitempty"`
	Buckets []uint64 `json:"b,omitempty"` // explicit: len(bounds)+1 counts, not cumulative

	// Exponential histograms.
	Scale     int32    `json:"sc,omitempty"`
	ZeroCount uint64   `json:"z,omitempty"`
	PosOffset int32    `json:"po,omitempty"`
	Pos       []uint64 `json:"p,omitempty"`
	NegOffset int32    `json:"no,omitempty"`
	Neg       []uint64 `json:"n,omitempty"`
}

// Update is one incoming data point for a series.
type Update struct {
	ID   ID
	Kind Kind
	// Desc describes the series (see Descriptor); backends store it the first time
	// they see the series. It may be nil when the caller knows the backend has it.
	Desc  []byte
	Point Point
	// Admit (max_series on a distributed backend): the caller does not know the series
	// to be in the shared aggregate. The backend admits it if the aggregate has room (or
	// holds it already); else the point goes to Overflow, the metric's overflow series
	// (described by OverflowDesc): the backend calls Refuse, or Accept. Either clears
	// Admit, so a replay of the batch applies the same decision. Updates without Admit
	// are never refused.
	Admit        bool
	Admitted     bool
	Overflowed   bool
	Overflow     ID
	OverflowDesc []byte
}

// ToAdmit returns the indexes of the updates that ask for admission. With no cap
// (maxSeries <= 0) it accepts them all and returns none.
func ToAdmit(ups []Update, maxSeries int) []int {
	var idx []int
	for i := range ups {
		if ups[i].Admit {
			if maxSeries <= 0 {
				ups[i].Accept()
				continue
			}
			idx = append(idx, i)
		}
	}
	return idx
}

// Accept records that the backend admitted the series (see Admit).
func (u *Update) Accept() { u.Admit, u.Admitted = false, true }

// Refuse sends the update to its overflow series (see Admit); Overflow then holds the
// refused series' ID.
func (u *Update) Refuse() {
	u.ID, u.Overflow = u.Overflow, u.ID
	u.Desc, u.Overflowed = u.OverflowDesc, true
	u.Admit = false
}

// State is a series as a backend holds it.
type State struct {
	ID   ID
	Kind Kind
	Desc []byte
	// Tmpl is the descriptor kept as pdata (the memory backend's hot path); when set,
	// Desc may be nil.
	Tmpl  *Template `json:"-"`
	Point Point
	// FirstSeen is when the backend first saw the series (the start time of
	// cumulative output for additive kinds); LastUpdate the last Apply that touched it.
	FirstSeen  int64
	LastUpdate int64
	// Exported is the point last exported (delta temporality output subtracts it);
	// nil when never exported.
	Exported *Point
}

// Merge merges src into dst by the rules of kind. It reports whether a cumulative
// series was reset (its start time changed).
func Merge(kind Kind, dst *Point, src *Point) (reset bool) {
	if isZero(dst) {
		*dst = src.Clone()
		return false
	}
	switch kind {
	case KindDeltaSum:
		if src.IsInt && dst.IsInt {
			dst.Int += src.Int
		} else {
			if dst.IsInt {
				dst.Double = float64(dst.Int)
				dst.Int, dst.IsInt = 0, false
			}
			if src.IsInt {
				dst.Double += float64(src.Int)
			} else {
				dst.Double += src.Double
			}
		}
		mergeTimes(dst, src)
	case KindDeltaHistogram:
		dst.Count += src.Count
		dst.Sum += src.Sum
		mergeMinMax(dst, src)
		dst.Buckets = addBuckets(dst.Buckets, src.Buckets)
		mergeTimes(dst, src)
	case KindDeltaExpHistogram:
		mergeExp(dst, src)
		mergeTimes(dst, src)
	case KindGauge:
		if src.Time >= dst.Time {
			*dst = src.Clone()
		}
	case KindCumulativeSum, KindCumulativeHistogram, KindCumulativeExpHistogram:
		if src.Time >= dst.Time {
			reset = dst.Time != 0 && src.Start != dst.Start
			*dst = src.Clone()
		}
	}
	return reset
}

// Sub returns cur − prev for additive kinds (the delta since the last export); for
// other kinds it returns cur.
func Sub(kind Kind, cur, prev *Point) Point {
	out := cur.Clone()
	if prev == nil || !kind.Additive() {
		return out
	}
	switch kind {
	case KindDeltaSum:
		if out.IsInt && prev.IsInt {
			out.Int -= prev.Int
		} else {
			out.Double = asDouble(cur) - asDouble(prev)
			out.IsInt, out.Int = false, 0
		}
	case KindDeltaHistogram:
		out.Count -= min(prev.Count, out.Count)
		out.Sum -= prev.Sum
		for i := range out.Buckets {
			if i < len(prev.Buckets) {
				out.Buckets[i] -= min(prev.Buckets[i], out.Buckets[i])
			}
		}
		out.HasMin, out.HasMax = false, false // unknown for the interval
	case KindDeltaExpHistogram:
		neg := prev.Clone()
		negate(&neg)
		mergeExp(&out, &neg)
		out.HasMin, out.HasMax = false, false
	}
	out.Start = prev.Time
	return out
}

// isZero reports whether p holds nothing yet (a new series).
func isZero(p *Point) bool {
	return p.Time == 0 && p.Start == 0 && !p.IsInt && p.Int == 0 && p.Double == 0 && p.Count == 0 &&
		p.Sum == 0 && !p.HasMin && !p.HasMax && len(p.Buckets) == 0 && p.Scale == 0 && p.ZeroCount == 0 &&
		len(p.Pos) == 0 && len(p.Neg) == 0
}

func asDouble(p *Point) float64 {
	if p.IsInt {
		return float64(p.Int)
	}
	return p.Double
}

func negate(p *Point) {
	// Only used by Sub on exponential histograms: counts are subtracted through
	// wrapping arithmetic, which is exact because cur ≥ prev bucket by bucket.
	p.Count = -p.Count
	p.Sum = -p.Sum
	p.ZeroCount = -p.ZeroCount
	for i := range p.Pos {
		p.Pos[i] = -p.Pos[i]
	}
	for i := range p.Neg {
		p.Neg[i] = -p.Neg[i]
	}
}

func mergeTimes(dst, src *Point) {
	if dst.Start == 0 || (src.Start != 0 && src.Start < dst.Start) {
		dst.Start = src.Start
	}
	if src.Time > dst.Time {
		dst.Time = src.Time
	}
}

func mergeMinMax(dst, src *Point) {
	if src.HasMin && (!dst.HasMin || src.Min < dst.Min) {
		dst.Min, dst.HasMin = src.Min, true
	}
	if src.HasMax && (!dst.HasMax || src.Max > dst.Max) {
		dst.Max, dst.HasMax = src.Max, true
	}
}

func addBuckets(dst, src []uint64) []uint64 {
	if len(src) > len(dst) {
		dst = append(dst, make([]uint64, len(src)-len(dst))...)
	}
	for i, c := range src {
		dst[i] += c
	}
	return dst
}

// Clone returns a copy of p that shares no bucket slice with it (an empty one is nil).
func (p *Point) Clone() Point {
	out := *p
	out.Buckets = append([]uint64(nil), p.Buckets...)
	out.Pos = append([]uint64(nil), p.Pos...)
	out.Neg = append([]uint64(nil), p.Neg...)
	if len(out.Buckets) == 0 {
		out.Buckets = nil
	}
	if len(out.Pos) == 0 {
		out.Pos = nil
	}
	if len(out.Neg) == 0 {
		out.Neg = nil
	}
	return out
}

// mergeExp adds src into dst at the coarser scale of the two.
func mergeExp(dst, src *Point) {
	scale := min(dst.Scale, src.Scale)
	downscale(dst, dst.Scale-scale)
	s := src.Clone()
	downscale(&s, s.Scale-scale)
	dst.Count += s.Count
	dst.Sum += s.Sum
	dst.ZeroCount += s.ZeroCount
	mergeMinMax(dst, &s)
	dst.PosOffset, dst.Pos = addOffsetBuckets(dst.PosOffset, dst.Pos, s.PosOffset, s.Pos)
	dst.NegOffset, dst.Neg = addOffsetBuckets(dst.NegOffset, dst.Neg, s.NegOffset, s.Neg)
}

// downscale lowers p's scale by by, folding 2^by buckets into one.
func downscale(p *Point, by int32) {
	if by <= 0 {
		return
	}
	p.Scale -= by
	p.PosOffset, p.Pos = foldBuckets(p.PosOffset, p.Pos, by)
	p.NegOffset, p.Neg = foldBuckets(p.NegOffset, p.Neg, by)
}

func foldBuckets(offset int32, counts []uint64, by int32) (int32, []uint64) {
	if len(counts) == 0 {
		return offset >> by, nil
	}
	newOffset := offset >> by
	last := (offset + int32(len(counts)) - 1) >> by
	out := make([]uint64, last-newOffset+1)
	for i, c := range counts {
		out[((offset+int32(i))>>by)-newOffset] += c
	}
	return newOffset, out
}

func addOffsetBuckets(aOff int32, a []uint64, bOff int32, b []uint64) (int32, []uint64) {
	if len(b) == 0 {
		return aOff, a
	}
	if len(a) == 0 {
		return bOff, append([]uint64(nil), b...)
	}
	lo := min(aOff, bOff)
	hi := max(aOff+int32(len(a)), bOff+int32(len(b)))
	out := make([]uint64, hi-lo)
	for i, c := range a {
		out[aOff-lo+int32(i)] += c
	}
	for i, c := range b {
		out[bOff-lo+int32(i)] += c
	}
	return lo, out
}

// Equal reports whether two points are identical (NaN equal to NaN).
func Equal(a, b *Point) bool {
	feq := func(x, y float64) bool { return x == y || (math.IsNaN(x) && math.IsNaN(y)) }
	ueq := func(x, y []uint64) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	return a.Start == b.Start && a.Time == b.Time && a.IsInt == b.IsInt && a.Int == b.Int &&
		feq(a.Double, b.Double) && a.Count == b.Count && feq(a.Sum, b.Sum) &&
		a.HasMin == b.HasMin && feq(a.Min, b.Min) && a.HasMax == b.HasMax && feq(a.Max, b.Max) &&
		ueq(a.Buckets, b.Buckets) && a.Scale == b.Scale && a.ZeroCount == b.ZeroCount &&
		a.PosOffset == b.PosOffset && ueq(a.Pos, b.Pos) && a.NegOffset == b.NegOffset && ueq(a.Neg, b.Neg)
}
