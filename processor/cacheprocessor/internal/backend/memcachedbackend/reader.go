// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package memcachedbackend

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

var errCorrupt = errors.New("corrupt value")

// reader decodes with bounds checks: malformed input is an error, never a panic.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: bad %s at byte %d of %d", errCorrupt, what, r.off, len(r.b))
	}
}

func (r *reader) u64(what string) uint64 {
	if r.err != nil {
		return 0
	}
	if len(r.b)-r.off < 8 {
		r.fail(what)
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b[r.off:])
	r.off += 8
	return v
}

func (r *reader) uvarint(what string) uint64 { return readVar(r, what, binary.Uvarint) }

func (r *reader) varint(what string) int64 { return readVar(r, what, binary.Varint) }

// readVar reads one varint with dec (binary.Uvarint or binary.Varint).
func readVar[T uint64 | int64](r *reader, what string, dec func([]byte) (T, int)) T {
	if r.err != nil {
		return 0
	}
	v, n := dec(r.b[r.off:])
	if n <= 0 {
		r.fail(what)
		return 0
	}
	r.off += n
	return v
}

func (r *reader) int32(what string) int32 {
	v := r.varint(what)
	if v < math.MinInt32 || v > math.MaxInt32 {
		r.fail(what)
		return 0
	}
	return int32(v)
}

func (r *reader) bytes(what string) []byte {
	n := r.uvarint(what)
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)-r.off) {
		r.fail(what)
		return nil
	}
	out := r.b[r.off : r.off+int(n) : r.off+int(n)]
	r.off += int(n)
	return out
}

func (r *reader) list(what string) []uint64 {
	n := r.uvarint(what)
	if r.err != nil {
		return nil
	}
	if n == 0 || n > uint64(len(r.b)-r.off) { // each element takes at least one byte
		r.fail(what)
		return nil
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = r.uvarint(what)
	}
	return out
}

func (r *reader) point(p *series.Point) {
	m := r.uvarint("point mask")
	if r.err != nil {
		return
	}
	if m&^fAll != 0 {
		r.fail("point mask")
		return
	}
	*p = series.Point{IsInt: m&fIsInt != 0, HasMin: m&fHasMin != 0, HasMax: m&fHasMax != 0}
	if m&fStart != 0 {
		p.Start = int64(r.u64("start"))
	}
	if m&fTime != 0 {
		p.Time = int64(r.u64("time"))
	}
	if m&fInt != 0 {
		p.Int = r.varint("int")
	}
	if m&fDouble != 0 {
		p.Double = math.Float64frombits(r.u64("double"))
	}
	if m&fCount != 0 {
		p.Count = r.uvarint("count")
	}
	if m&fSum != 0 {
		p.Sum = math.Float64frombits(r.u64("sum"))
	}
	if m&fMin != 0 {
		p.Min = math.Float64frombits(r.u64("min"))
	}
	if m&fMax != 0 {
		p.Max = math.Float64frombits(r.u64("max"))
	}
	if m&fBuckets != 0 {
		p.Buckets = r.list("buckets")
	}
	if m&fScale != 0 {
		p.Scale = r.int32("scale")
	}
	if m&fZeroCount != 0 {
		p.ZeroCount = r.uvarint("zero count")
	}
	if m&fPosOffset != 0 {
		p.PosOffset = r.int32("positive offset")
	}
	if m&fPos != 0 {
		p.Pos = r.list("positive buckets")
	}
	if m&fNegOffset != 0 {
		p.NegOffset = r.int32("negative offset")
	}
	if m&fNeg != 0 {
		p.Neg = r.list("negative buckets")
	}
}
