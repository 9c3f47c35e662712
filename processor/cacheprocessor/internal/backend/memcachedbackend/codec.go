// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package memcachedbackend

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// Binary encodings of the two kinds of items (little-endian throughout).
//
// Series item (<prefix>:s:<id>):
//
//	0   'S', version 1, flags (1 = has descriptor, 2 = has exported point), kind
//	4   ver        uint64   write version: +1 per Apply write, random at creation
//	12  ring       8×uint64 ring[v%8] = hash of the batch that wrote version v (0: none)
//	76  firstSeen  int64    Unix ns
//	84  lastUpdate int64    Unix ns
//	92  expiry     int64    Unix ns: the logical expiry Snapshot and Expire honour
//	100 indexed    int64    a lower bound of this series' expiry hint in its shard index
//	108 xtoken     int64    fencing token of the last MarkExported that wrote it
//	116 [desc: uvarint length, bytes] point [exported point]
//
// A point is a uvarint bit mask of the fields present (non-zero) followed by them in
// mask order: times as fixed int64, floats as their IEEE 754 bits (so -0, NaN payloads
// and infinities survive), counts as uvarints, signed small integers zig-zag varints,
// bucket lists as a uvarint length and uvarints.
//
// Index item (<prefix>:<shard>:idx): 'I', version 1, then 16-byte entries sorted by
// series ID: id uint64, expiry hint int64 (Unix ns).
const (
	itemMagic    = 'S'
	indexMagic   = 'I'
	codecVersion = 1

	ringSize       = 8
	itemHeaderSize = 116
	offIndexed     = 100
	indexEntrySize = 16

	flagDesc     = 1
	flagExported = 2
)

// maxValueSize keeps a value under memcached's default 1 MB item size (-I 1m), leaving
// room for the key and the item header.
const maxValueSize = 1<<20 - 1024

// maxIndexEntries is how many series one shard index can hold.
const maxIndexEntries = (maxValueSize - 2) / indexEntrySize

// item is a decoded series item.
type item struct {
	st      series.State // ID is set by the caller (it is in the key, not the value)
	ver     uint64
	ring    [ringSize]uint64
	expiry  int64
	indexed int64
	xtoken  int64
}

const (
	fStart = 1 << iota
	fTime
	fIsInt
	fInt
	fDouble
	fCount
	fSum
	fHasMin
	fMin
	fHasMax
	fMax
	fBuckets
	fScale
	fZeroCount
	fPosOffset
	fPos
	fNegOffset
	fNeg
	fAll = fNeg<<1 - 1
)

func appendItem(b []byte, it *item) []byte {
	var flags byte
	if it.st.Desc != nil {
		flags |= flagDesc
	}
	if it.st.Exported != nil {
		flags |= flagExported
	}
	b = append(b, itemMagic, codecVersion, flags, byte(it.st.Kind))
	b = binary.LittleEndian.AppendUint64(b, it.ver)
	for _, h := range it.ring {
		b = binary.LittleEndian.AppendUint64(b, h)
	}
	for _, v := range [...]int64{it.st.FirstSeen, it.st.LastUpdate, it.expiry, it.indexed, it.xtoken} {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	if it.st.Desc != nil {
		b = binary.AppendUvarint(b, uint64(len(it.st.Desc)))
		b = append(b, it.st.Desc...)
	}
	b = appendPoint(b, &it.st.Point)
	if it.st.Exported != nil {
		b = appendPoint(b, it.st.Exported)
	}
	return b
}

func appendPoint(b []byte, p *series.Point) []byte {
	var m uint64
	set := func(bit uint64, on bool) {
		if on {
			m |= bit
		}
	}
	set(fStart, p.Start != 0)
	set(fTime, p.Time != 0)
	set(fIsInt, p.IsInt)
	set(fInt, p.Int != 0)
	set(fDouble, math.Float64bits(p.Double) != 0)
	set(fCount, p.Count != 0)
	set(fSum, math.Float64bits(p.Sum) != 0)
	set(fHasMin, p.HasMin)
	set(fMin, math.Float64bits(p.Min) != 0)
	set(fHasMax, p.HasMax)
	set(fMax, math.Float64bits(p.Max) != 0)
	set(fBuckets, len(p.Buckets) > 0)
	set(fScale, p.Scale != 0)
	set(fZeroCount, p.ZeroCount != 0)
	set(fPosOffset, p.PosOffset != 0)
	set(fPos, len(p.Pos) > 0)
	set(fNegOffset, p.NegOffset != 0)
	set(fNeg, len(p.Neg) > 0)
	b = binary.AppendUvarint(b, m)
	le := binary.LittleEndian
	if m&fStart != 0 {
		b = le.AppendUint64(b, uint64(p.Start))
	}
	if m&fTime != 0 {
		b = le.AppendUint64(b, uint64(p.Time))
	}
	if m&fInt != 0 {
		b = binary.AppendVarint(b, p.Int)
	}
	if m&fDouble != 0 {
		b = le.AppendUint64(b, math.Float64bits(p.Double))
	}
	if m&fCount != 0 {
		b = binary.AppendUvarint(b, p.Count)
	}
	if m&fSum != 0 {
		b = le.AppendUint64(b, math.Float64bits(p.Sum))
	}
	if m&fMin != 0 {
		b = le.AppendUint64(b, math.Float64bits(p.Min))
	}
	if m&fMax != 0 {
		b = le.AppendUint64(b, math.Float64bits(p.Max))
	}
	if m&fBuckets != 0 {
		b = appendList(b, p.Buckets)
	}
	if m&fScale != 0 {
		b = binary.AppendVarint(b, int64(p.Scale))
	}
	if m&fZeroCount != 0 {
		b = binary.AppendUvarint(b, p.ZeroCount)
	}
	if m&fPosOffset != 0 {
		b = binary.AppendVarint(b, int64(p.PosOffset))
	}
	if m&fPos != 0 {
		b = appendList(b, p.Pos)
	}
	if m&fNegOffset != 0 {
		b = binary.AppendVarint(b, int64(p.NegOffset))
	}
	if m&fNeg != 0 {
		b = appendList(b, p.Neg)
	}
	return b
}

func appendList(b []byte, l []uint64) []byte {
	b = binary.AppendUvarint(b, uint64(len(l)))
	for _, v := range l {
		b = binary.AppendUvarint(b, v)
	}
	return b
}

func validKind(k series.Kind) bool {
	return k >= series.KindDeltaSum && k <= series.KindCumulativeExpHistogram
}

// decodeItem decodes a series item. The descriptor aliases v.
func decodeItem(v []byte, it *item) error {
	if len(v) < itemHeaderSize {
		return fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", errCorrupt, len(v), itemHeaderSize)
	}
	if v[0] != itemMagic || v[1] != codecVersion {
		return fmt.Errorf("%w: not a series item of format %d (starts %q)", errCorrupt, codecVersion, v[:2])
	}
	flags, kind := v[2], series.Kind(v[3])
	if flags&^(flagDesc|flagExported) != 0 {
		return fmt.Errorf("%w: unknown flags %#x", errCorrupt, flags)
	}
	if !validKind(kind) {
		return fmt.Errorf("%w: unknown kind %d", errCorrupt, kind)
	}
	*it = item{}
	it.st.Kind = kind
	r := &reader{b: v, off: 4}
	it.ver = r.u64("version")
	for i := range it.ring {
		it.ring[i] = r.u64("ring")
	}
	it.st.FirstSeen = int64(r.u64("first seen"))
	it.st.LastUpdate = int64(r.u64("last update"))
	it.expiry = int64(r.u64("expiry"))
	it.indexed = int64(r.u64("indexed"))
	it.xtoken = int64(r.u64("export token"))
	if flags&flagDesc != 0 {
		it.st.Desc = r.bytes("descriptor")
		if it.st.Desc == nil && r.err == nil {
			it.st.Desc = []byte{}
		}
	}
	r.point(&it.st.Point)
	if flags&flagExported != 0 {
		it.st.Exported = new(series.Point)
		r.point(it.st.Exported)
	}
	if r.err == nil && r.off != len(v) {
		return fmt.Errorf("%w: %d trailing bytes", errCorrupt, len(v)-r.off)
	}
	return r.err
}

// peekIndexed reads the indexed field without decoding the item; ok is false when v is
// not a well-formed header.
func peekIndexed(v []byte) (int64, bool) {
	if len(v) < itemHeaderSize || v[0] != itemMagic || v[1] != codecVersion {
		return 0, false
	}
	return int64(binary.LittleEndian.Uint64(v[offIndexed:])), true
}

// idxEntry is one series in a shard index: its ID and a lower bound of its expiry.
type idxEntry struct {
	id   series.ID
	hint int64
}

func appendIndex(b []byte, es []idxEntry) []byte {
	b = slices.Grow(b, 2+len(es)*indexEntrySize)
	b = append(b, indexMagic, codecVersion)
	for _, e := range es {
		b = binary.LittleEndian.AppendUint64(b, uint64(e.id))
		b = binary.LittleEndian.AppendUint64(b, uint64(e.hint))
	}
	return b
}

func decodeIndex(v []byte) ([]idxEntry, error) {
	if len(v) < 2 || v[0] != indexMagic || v[1] != codecVersion || (len(v)-2)%indexEntrySize != 0 {
		return nil, fmt.Errorf("%w: not a shard index of format %d (%d bytes)", errCorrupt, codecVersion, len(v))
	}
	n := (len(v) - 2) / indexEntrySize
	es := make([]idxEntry, n)
	for i := range es {
		o := 2 + i*indexEntrySize
		es[i] = idxEntry{id: series.ID(binary.LittleEndian.Uint64(v[o:])), hint: int64(binary.LittleEndian.Uint64(v[o+8:]))}
		if i > 0 && es[i].id <= es[i-1].id {
			return nil, fmt.Errorf("%w: index entries out of order at %d", errCorrupt, i)
		}
	}
	return es, nil
}

// upsert merges add (sorted by ID, unique) into es (sorted): new IDs are inserted, known
// ones get the larger hint. It reports whether anything changed.
func upsert(es, add []idxEntry) ([]idxEntry, bool) {
	out := make([]idxEntry, 0, len(es)+len(add))
	changed := false
	i, j := 0, 0
	for i < len(es) || j < len(add) {
		switch {
		case j == len(add) || (i < len(es) && es[i].id < add[j].id):
			out = append(out, es[i])
			i++
		case i == len(es) || add[j].id < es[i].id:
			out = append(out, add[j])
			changed = true
			j++
		default:
			e := es[i]
			if add[j].hint > e.hint {
				e.hint = add[j].hint
				changed = true
			}
			out = append(out, e)
			i++
			j++
		}
	}
	return out, changed
}
