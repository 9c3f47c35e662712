// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

// links are the neighbours of an entry of an lru list, held in the entry itself (no
// allocation per entry, unlike container/list).
type links[T any] struct {
	prev, next *T
}

// linked is an entry type of an lru list.
type linked[T any] interface {
	*T
	lru() *links[T]
}

// lru is an intrusive doubly linked list, least recently added or touched first.
type lru[T any, P linked[T]] struct {
	head, tail *T
	n          int
}

func (l *lru[T, P]) pushBack(x *T) {
	lx := P(x).lru()
	lx.prev, lx.next = l.tail, nil
	if l.tail != nil {
		P(l.tail).lru().next = x
	} else {
		l.head = x
	}
	l.tail = x
	l.n++
}

func (l *lru[T, P]) remove(x *T) {
	lx := P(x).lru()
	if lx.prev != nil {
		P(lx.prev).lru().next = lx.next
	} else {
		l.head = lx.next
	}
	if lx.next != nil {
		P(lx.next).lru().prev = lx.prev
	} else {
		l.tail = lx.prev
	}
	lx.prev, lx.next = nil, nil
	l.n--
}

// next is the entry after x.
func (l *lru[T, P]) next(x *T) *T { return P(x).lru().next }

// slab hands out entries carved from blocks, one allocation per block. An entry is
// never handed out twice; a block is freed once none of its entries is referenced,
// which for a list whose entries leave in about the order they came is soon after its
// last one left.
type slab[T any] struct {
	free []T
}

// slabSize is the number of entries of a block.
const slabSize = 64

// get is a new zero entry.
func (s *slab[T]) get() *T {
	if len(s.free) == 0 {
		s.free = make([]T, slabSize)
	}
	e := &s.free[0]
	s.free = s.free[1:]
	return e
}
