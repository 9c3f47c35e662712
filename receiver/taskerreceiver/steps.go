// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"hash/maphash"
	"time"

	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
)

// stepState is what the receiver knows of a step's attempts (see attempts.go).
type stepState struct {
	// cur is the latest attempt seen through a start or terminal event (0: none);
	// ended: it has ended, with outcome.
	cur     int64
	ended   bool
	outcome tasker.Outcome
	// announced is the attempt a log line's attempt_count/step_attempts announced,
	// announcedAt the time of the latest such line (the attempt's first line when it
	// runs; a step that is not pending announces again each time it is looked at).
	announced   int64
	announcedAt time.Time
	touched     time.Time
}

// stepTable holds the steps' attempt states, least recently touched first, bounded
// like the open spans. The states are slots of fixed blocks (a *stepState stays valid
// while its step is in the table), linked by index; the keys' bytes are in one buffer
// compacted when it fills. None of it points into the heap (but for the times'
// locations, nil or the process's local one), so the garbage collector does not
// scan it entry by entry (keys.go).
type stepTable struct {
	blocks   []*[stepBlock]stepSlot
	free     int32 // first free slot, linked by next (-1: none)
	sorder   stepOrder
	index    map[uint64]int32
	overflow map[spanKey]int32
	seed     maphash.Seed
	keys     []byte
	live     int // bytes of keys in use
}

// stepBlock is the number of slots of a block.
const stepBlock = 1024

type stepSlot struct {
	st         stepState
	h          uint64
	off        int // the key's bytes: keys[off:]
	lens       keyLens
	prev, next int32
}

// stepOrder is the LRU order of the slots (-1: none).
type stepOrder struct {
	head, tail int32
	n          int
}

func newStepTable() stepTable {
	return stepTable{free: -1, sorder: stepOrder{head: -1, tail: -1}, index: map[uint64]int32{}, seed: maphash.MakeSeed()}
}

func (t *stepTable) slot(i int32) *stepSlot { return &t.blocks[i/stepBlock][i%stepBlock] }

func (t *stepTable) is(i int32, k *spanKey) bool {
	s := t.slot(i)
	return s.lens.is(t.keys[s.off:], k)
}

// find is the slot of k (-1 if none) and the hash of k.
func (t *stepTable) find(k *spanKey) (int32, uint64) {
	if i := t.sorder.tail; i >= 0 && t.is(i, k) { // the state touched last, mostly the one asked for (see get)
		return i, 0
	}
	h := hashKey(t.seed, k, 0)
	if i, ok := t.index[h]; ok && t.is(i, k) {
		return i, h
	}
	if len(t.overflow) > 0 {
		if i, ok := t.overflow[*k]; ok {
			return i, h
		}
	}
	return -1, h
}

// step is the attempt state of a step (k.attempt must be 0), created if create is set.
func (t *startTable) step(k spanKey, now time.Time, create bool) *stepState {
	i, h := t.find(&k)
	if i >= 0 {
		s := t.slot(i)
		s.st.touched = now
		if i != t.sorder.tail {
			t.unlink(i)
			t.pushBack(i)
		}
		return &s.st
	}
	if !create {
		return nil
	}
	for t.sorder.n >= t.maxOpen && t.sorder.n > 0 {
		t.removeStep(t.sorder.head)
	}
	return t.addStep(k, h, now)
}

// addStep adds the state of k (not in the table), whose hash is h.
func (t *stepTable) addStep(k spanKey, h uint64, now time.Time) *stepState {
	i := t.alloc()
	s := t.slot(i)
	*s = stepSlot{st: stepState{touched: now}, h: h, lens: lensOf(k)}
	s.off = t.storeKey(&k)
	if _, taken := t.index[h]; taken {
		if t.overflow == nil {
			t.overflow = map[spanKey]int32{}
		}
		t.overflow[k.clone()] = i
	} else {
		t.index[h] = i
	}
	t.pushBack(i)
	return &s.st
}

// alloc is a free slot, in a new block if none is.
func (t *stepTable) alloc() int32 {
	if t.free < 0 {
		base := int32(len(t.blocks) * stepBlock)
		t.blocks = append(t.blocks, new([stepBlock]stepSlot))
		for j := int32(stepBlock - 1); j >= 0; j-- {
			t.slot(base + j).next = t.free
			t.free = base + j
		}
	}
	i := t.free
	t.free = t.slot(i).next
	return i
}

// removeStep removes the state of slot i.
func (t *stepTable) removeStep(i int32) {
	s := t.slot(i)
	if j, ok := t.index[s.h]; ok && j == i {
		delete(t.index, s.h)
	} else {
		delete(t.overflow, s.lens.key(t.keys[s.off:], 0))
	}
	t.live -= s.lens.size()
	t.unlink(i)
	*s = stepSlot{next: t.free}
	t.free = i
}

func (t *stepTable) pushBack(i int32) {
	s := t.slot(i)
	s.prev, s.next = t.sorder.tail, -1
	if t.sorder.tail >= 0 {
		t.slot(t.sorder.tail).next = i
	} else {
		t.sorder.head = i
	}
	t.sorder.tail = i
	t.sorder.n++
}

func (t *stepTable) unlink(i int32) {
	s := t.slot(i)
	if s.prev >= 0 {
		t.slot(s.prev).next = s.next
	} else {
		t.sorder.head = s.next
	}
	if s.next >= 0 {
		t.slot(s.next).prev = s.prev
	} else {
		t.sorder.tail = s.prev
	}
	s.prev, s.next = -1, -1
	t.sorder.n--
}

// storeKey appends the bytes of k to the keys and returns where they start. When the
// buffer is full, the keys in use are copied to one twice their size (at least
// 64 KiB): a copy per as many bytes stored as there are in use, and at most half of
// the buffer unused.
func (t *stepTable) storeKey(k *spanKey) int {
	n := lensOf(*k).size()
	if len(t.keys)+n > cap(t.keys) {
		old := t.keys
		t.keys = make([]byte, 0, max(64<<10, 2*(t.live+n)))
		for i := t.sorder.head; i >= 0; i = t.slot(i).next {
			s := t.slot(i)
			off := len(t.keys)
			t.keys = append(t.keys, old[s.off:s.off+s.lens.size()]...)
			s.off = off
		}
	}
	off := len(t.keys)
	t.keys = appendKey(t.keys, k)
	t.live += n
	return off
}

// expireSteps evicts the states untouched since before limit.
func (t *stepTable) expireSteps(limit time.Time) {
	for i := t.sorder.head; i >= 0 && t.slot(i).st.touched.Before(limit); i = t.sorder.head {
		t.removeStep(i)
	}
}

// eachStep calls f with the states, least recently touched first.
func (t *stepTable) eachStep(f func(k spanKey, st *stepState)) {
	for i := t.sorder.head; i >= 0; i = t.slot(i).next {
		s := t.slot(i)
		f(s.lens.key(t.keys[s.off:], 0), &s.st)
	}
}
