// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package simulate is the pure part of taskergen: from a seed and Options it produces
// the ordered stream of what N simulated Tasker tasks publish and log. It does no I/O and reads no
// clock: every time comes from the simulated clock that starts at Options.Start, and
// every random draw from generators seeded by Options.Seed, so the same options give
// the same events.
//
// Tasks arrive at random intervals and run concurrently: the stream is ordered by
// simulated time (ties: the task that arrived first, then the task's own order), so
// each task's events are in time order and tasks are interleaved. Each task draws from
// its own generator (seed, task index), so a task's events do not depend on the others.
// Events are produced lazily: memory holds the tasks in flight, not the whole run.
package simulate

import (
	"container/heap"
	"math/rand/v2"
	"time"
)

// Generator produces the events of a simulation one at a time.
type Generator struct {
	o           Options
	arrivals    *rand.Rand
	next        int // index of the next task to create
	nextArrival time.Time
	nextStepID  int64
	weightSum   int
	dags        map[Shape]DAG
	w           *world
	firstTask   int64
	h           cursorHeap
}

type cursor struct {
	task  int
	evs   []Event
	order []int32 // evs in time order
	pos   int
}

func (c *cursor) cur() *Event { return &c.evs[c.order[c.pos]] }

type cursorHeap []*cursor

func (h cursorHeap) Len() int { return len(h) }
func (h cursorHeap) Less(i, j int) bool {
	a, b := h[i].cur(), h[j].cur()
	if c := a.Time.Compare(b.Time); c != 0 {
		return c < 0
	}
	return h[i].task < h[j].task
}
func (h cursorHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *cursorHeap) Push(x any)   { *h = append(*h, x.(*cursor)) }
func (h *cursorHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return c
}

// New validates o and returns a generator positioned before the first event.
func New(o Options) (*Generator, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	g := &Generator{
		o:           o,
		arrivals:    rand.New(rand.NewPCG(o.Seed, 0x5eed_a771_7a15)),
		nextArrival: o.Start.Truncate(time.Millisecond),
		dags:        map[Shape]DAG{},
		w:           newWorld(&o),
	}
	g.firstTask, g.nextStepID = o.ids()
	for _, s := range o.Shapes {
		g.weightSum += s.Weight
		if _, ok := g.dags[s.Shape]; !ok {
			g.dags[s.Shape] = BuildDAG(s.Shape, o.Steps, o.Width)
		}
	}
	return g, nil
}

// Options returns the options of g.
func (g *Generator) Options() Options { return g.o }

// Tasks returns how many tasks have been created so far.
func (g *Generator) Tasks() int { return g.next }

// Next returns the next event in simulated-time order, or false at the end. The
// event stays valid (the generator never reuses it).
func (g *Generator) Next() (*Event, bool) {
	for g.next < g.o.Tasks && (len(g.h) == 0 || !g.nextArrival.After(g.h[0].cur().Time)) {
		g.create()
	}
	if len(g.h) == 0 {
		return nil, false
	}
	c := g.h[0]
	ev := c.cur()
	c.pos++
	if c.pos == len(c.order) {
		heap.Pop(&g.h)
	} else {
		heap.Fix(&g.h, 0)
	}
	return ev, true
}

func (g *Generator) create() {
	i := g.next
	rng := rand.New(rand.NewPCG(g.o.Seed, uint64(i)+1))
	// The shape first, so that a task's DAG depends only on (seed, index, shapes).
	w := rng.IntN(g.weightSum)
	shape := g.o.Shapes[len(g.o.Shapes)-1].Shape
	for _, s := range g.o.Shapes {
		if w < s.Weight {
			shape = s.Shape
			break
		}
		w -= s.Weight
	}
	dag := g.dags[shape]
	evs, order := simulateTask(&g.o, g.w, i, g.nextArrival, g.firstTask+int64(i), g.nextStepID, rng, dag)
	g.nextStepID += int64(len(dag.Names))
	heap.Push(&g.h, &cursor{task: i, evs: evs, order: order})
	g.next++
	if g.o.Arrival > 0 {
		gap := time.Duration(g.arrivals.ExpFloat64() * float64(g.o.Arrival)).Round(time.Millisecond)
		g.nextArrival = g.nextArrival.Add(min(gap, 100*g.o.Arrival))
	}
}

// Generate returns all the events of a simulation, in order.
func Generate(o Options) ([]Event, error) {
	g, err := New(o)
	if err != nil {
		return nil, err
	}
	var out []Event
	for {
		ev, ok := g.Next()
		if !ok {
			return out, nil
		}
		out = append(out, *ev)
	}
}
