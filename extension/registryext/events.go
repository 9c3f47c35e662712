// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"sync"

	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// EventQuery selects events from the ring.
type EventQuery struct {
	// Since returns only events with a sequence greater than Since (0: from the oldest kept).
	Since uint64
	// Name, when set, keeps only events of that name (full or short form).
	Name string
	// Limit caps the number of events returned (the oldest matching first); <= 0 means all.
	Limit int
}

// EventPage is the answer to an EventQuery.
type EventPage struct {
	Events []taskerregistry.Event `json:"events"`
	// NextSince is the value of Since that continues after this page: the sequence of the
	// last event returned, or of the last event examined when a filter matched none.
	NextSince uint64 `json:"next_since"`
	// OldestSequence and LastSequence bound what the ring holds now (0 when empty).
	OldestSequence uint64 `json:"oldest_sequence"`
	LastSequence   uint64 `json:"last_sequence"`
	// Missed is true when events after Since were already evicted from the ring.
	Missed bool `json:"missed"`
	// More is true when Limit cut the page short.
	More bool `json:"more"`
}

// EventStats summarizes the ring.
type EventStats struct {
	Capacity       int    `json:"capacity"`
	Retained       int    `json:"retained"`
	Recorded       uint64 `json:"recorded"`
	Evicted        uint64 `json:"evicted"`
	OldestSequence uint64 `json:"oldest_sequence"`
	LastSequence   uint64 `json:"last_sequence"`
}

// eventRing is a bounded ring of events with increasing sequence numbers.
type eventRing struct {
	mu      sync.Mutex
	buf     []taskerregistry.Event
	start   int // index of the oldest event
	n       int // events held
	lastSeq uint64
	evicted uint64
}

func newEventRing(capacity int) *eventRing {
	if capacity < 1 {
		capacity = 1
	}
	return &eventRing{buf: make([]taskerregistry.Event, capacity)}
}

// add records e, assigning its sequence; it reports whether an older event was evicted.
func (r *eventRing) add(e taskerregistry.Event) (taskerregistry.Event, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lastSeq++
	e.Sequence = r.lastSeq
	evicted := false
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = e
		r.n++
	} else {
		r.buf[r.start] = e
		r.start = (r.start + 1) % len(r.buf)
		r.evicted++
		evicted = true
	}
	return e, evicted
}

func (r *eventRing) bounds() (oldest, last uint64) {
	if r.n == 0 {
		return 0, r.lastSeq
	}
	return r.buf[r.start].Sequence, r.lastSeq
}

func (r *eventRing) query(q EventQuery) EventPage {
	name := ""
	if q.Name != "" {
		name = taskerregistry.NormalizeEventName(q.Name)
		if name == "" {
			name = q.Name // matches nothing
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	oldest, last := r.bounds()
	page := EventPage{Events: []taskerregistry.Event{}, NextSince: q.Since, OldestSequence: oldest, LastSequence: last}
	if q.Since > last {
		// A client that asks past the end (e.g. after a restart reset the sequence) gets
		// nothing, and NextSince tells it where the ring is.
		page.NextSince = last
		return page
	}
	if r.n > 0 && q.Since+1 < oldest {
		page.Missed = true
	}
	if r.n == 0 {
		page.Missed = q.Since < r.lastSeq
		return page
	}
	// The first index to examine: events are contiguous in sequence.
	skip := 0
	if q.Since >= oldest {
		skip = int(q.Since - oldest + 1)
	}
	for i := skip; i < r.n; i++ {
		e := r.buf[(r.start+i)%len(r.buf)]
		if q.Limit > 0 && len(page.Events) == q.Limit {
			page.More = true
			break
		}
		page.NextSince = e.Sequence
		if name != "" && e.Name != name {
			continue
		}
		page.Events = append(page.Events, e)
	}
	return page
}

func (r *eventRing) stats() EventStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	oldest, last := r.bounds()
	return EventStats{
		Capacity: len(r.buf), Retained: r.n, Recorded: r.lastSeq, Evicted: r.evicted,
		OldestSequence: oldest, LastSequence: last,
	}
}
