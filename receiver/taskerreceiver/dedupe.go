// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"hash/maphash"
	"time"
)

// dedupeKey identifies one logical completion: a task's outcome, or a step attempt.
type dedupeKey struct {
	span    spanKey
	outcome uint8 // tasks only: a step attempt has one outcome
}

// dedupeWindow remembers terminal events for a window, bounded in entries.
//
// Not hashicorp/golang-lru/v2/expirable (checked at v2.0.7, which the module proxy
// serves): its clock is time.Now, while the window runs on the receiver's clock and is
// restored from the saved state with each entry's original time (state.go); and every
// expirable.LRU starts a purge goroutine it never stops (no Close), which the components'
// goleak tests would report at each Shutdown. The same holds for startTable.
//
// Entries leave in the order they came (by age or by max_entries; forget only marks
// one dead), so they are a ring of slots, and their keys' bytes are appended to
// chunks that are freed once the ring's oldest slot is past them. Slots, chunks and
// the index hold no pointers into the heap (but for a time.Time's location, which
// is nil or the process's local one), so the garbage collector neither follows
// pointers in them nor marks one object per entry, as it did for the map of string
// keys to linked entries before (docs/BENCHMARKS.md, session 23).
type dedupeWindow struct {
	window time.Duration
	max    int
	n      int // live slots
	// slots[seq&(len-1)] is the slot of sequence number seq, for seq in [first, next).
	slots       []dedupeSlot
	first, next uint64
	// index: the slot of each live key, by the key's hash; overflow: those whose hash
	// is another live key's (keys.go).
	index    map[uint64]uint64
	overflow map[dedupeKey]uint64
	seed     maphash.Seed
	// chunks[i] holds the key bytes of chunk number chunk0+i.
	chunks [][]byte
	chunk0 uint32
}

type dedupeSlot struct {
	h       uint64
	seen    time.Time
	attempt int64
	chunk   uint32 // the key's bytes: chunks[chunk-chunk0][off:], dep, task, step
	off     uint32
	lens    keyLens
	outcome uint8
	live    bool
}

// dedupeChunkSize is the size of a key chunk: about 800 keys of a UUID task id and a
// step name.
const dedupeChunkSize = 64 << 10

func newDedupeWindow(window time.Duration, maxEntries int) *dedupeWindow {
	return &dedupeWindow{window: window, max: maxEntries, index: map[uint64]uint64{}, seed: maphash.MakeSeed()}
}

func (d *dedupeWindow) slot(seq uint64) *dedupeSlot { return &d.slots[seq&uint64(len(d.slots)-1)] }

// is reports whether s is the slot of k.
func (d *dedupeWindow) is(s *dedupeSlot, k *dedupeKey) bool {
	return s.attempt == k.span.attempt && s.outcome == k.outcome && s.lens.is(d.chunks[s.chunk-d.chunk0][s.off:], &k.span)
}

// key is the key of s, its strings newly allocated.
func (d *dedupeWindow) key(s *dedupeSlot) dedupeKey {
	return dedupeKey{span: s.lens.key(d.chunks[s.chunk-d.chunk0][s.off:], s.attempt), outcome: s.outcome}
}

// find is the sequence number of k's live slot.
func (d *dedupeWindow) find(k *dedupeKey, h uint64) (uint64, bool) {
	if seq, ok := d.index[h]; ok && d.is(d.slot(seq), k) {
		return seq, true
	}
	if len(d.overflow) == 0 {
		return 0, false
	}
	seq, ok := d.overflow[*k]
	return seq, ok
}

// unindex removes the live slot seq from the index.
func (d *dedupeWindow) unindex(seq uint64) {
	s := d.slot(seq)
	if q, ok := d.index[s.h]; ok && q == seq {
		delete(d.index, s.h)
	} else {
		delete(d.overflow, d.key(s))
	}
	s.live = false
	d.n--
}

// pop removes the oldest slot, and the chunks no slot uses any more.
func (d *dedupeWindow) pop() {
	if s := d.slot(d.first); s.live {
		d.unindex(d.first)
	}
	*d.slot(d.first) = dedupeSlot{}
	d.first++
	switch {
	case d.first == d.next:
		// empty: only the last chunk, which the next key may still use
		for len(d.chunks) > 1 {
			d.dropChunk()
		}
	default:
		for c := d.slot(d.first).chunk; d.chunk0 < c; {
			d.dropChunk()
		}
	}
}

func (d *dedupeWindow) dropChunk() {
	d.chunks[0] = nil
	d.chunks = d.chunks[1:]
	d.chunk0++
}

// oldest is the oldest live slot (nil if none); the dead ones before it are popped.
func (d *dedupeWindow) oldest() *dedupeSlot {
	for d.first < d.next {
		if s := d.slot(d.first); s.live {
			return s
		}
		d.pop()
	}
	return nil
}

// seen reports whether k was seen within the window, and remembers it if not.
func (d *dedupeWindow) seen(k dedupeKey, now time.Time) bool {
	if d.window <= 0 {
		return false
	}
	limit := now.Add(-d.window)
	for s := d.oldest(); s != nil && s.seen.Before(limit); s = d.oldest() {
		d.pop()
	}
	h := hashKey(d.seed, &k.span, k.outcome)
	if _, ok := d.find(&k, h); ok {
		return true
	}
	for d.n >= d.max && d.n > 0 {
		d.oldest()
		d.pop()
	}
	d.add(k, h, now)
	return false
}

// add appends k as the newest slot (k is not in the window).
func (d *dedupeWindow) add(k dedupeKey, h uint64, now time.Time) {
	if d.next-d.first == uint64(len(d.slots)) {
		d.grow()
	}
	seq := d.next
	d.next++
	s := d.slot(seq)
	*s = dedupeSlot{h: h, seen: now, attempt: k.span.attempt, outcome: k.outcome, live: true,
		lens: lensOf(k.span)}
	s.chunk, s.off = d.store(k.span)
	if _, taken := d.index[h]; taken {
		if d.overflow == nil {
			d.overflow = map[dedupeKey]uint64{}
		}
		d.overflow[d.key(s)] = seq
	} else {
		d.index[h] = seq
	}
	d.n++
}

// grow doubles the ring (it starts at 64 slots), keeping the sequence numbers.
func (d *dedupeWindow) grow() {
	old := d.slots
	d.slots = make([]dedupeSlot, max(64, 2*len(old)))
	for seq := d.first; seq < d.next; seq++ {
		*d.slot(seq) = old[seq&uint64(len(old)-1)]
	}
}

// store appends the bytes of k to the last chunk (a new one if it has no room).
func (d *dedupeWindow) store(k spanKey) (chunk, off uint32) {
	n := lensOf(k).size()
	if len(d.chunks) == 0 || cap(d.chunks[len(d.chunks)-1])-len(d.chunks[len(d.chunks)-1]) < n {
		d.chunks = append(d.chunks, make([]byte, 0, max(dedupeChunkSize, n)))
	}
	last := len(d.chunks) - 1
	b := d.chunks[last]
	off = uint32(len(b))
	d.chunks[last] = appendKey(b, &k)
	return d.chunk0 + uint32(last), off
}

// forget removes k from the window.
func (d *dedupeWindow) forget(k dedupeKey) {
	if seq, ok := d.find(&k, hashKey(d.seed, &k.span, k.outcome)); ok {
		d.unindex(seq)
	}
}

// each calls f with the live entries, oldest first.
func (d *dedupeWindow) each(f func(k dedupeKey, seen time.Time)) {
	for seq := d.first; seq < d.next; seq++ {
		if s := d.slot(seq); s.live {
			f(d.key(s), s.seen)
		}
	}
}
