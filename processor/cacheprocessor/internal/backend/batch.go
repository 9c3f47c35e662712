// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package backend

import (
	"context"
	"time"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// Ingester opens ingest transactions: the one way points go into an aggregate. Every
// Backend is one; the processor's policy in front of a distributed store is another.
type Ingester interface {
	// Begin opens a batch at now: every series it touches gets its LastUpdate and
	// expiry from now, as with Apply. A non-empty batchID makes the batch idempotent: one
	// committed before (within the retention window) is acknowledged without applying
	// again. The caller must Commit the batch, and may not call the store otherwise until
	// then (the memory store stays locked).
	Begin(batchID string, now time.Time) Batch
}

// Batch is one ingest transaction (see Ingester.Begin): what is added to it applies as
// one Apply of the same updates would (series.Merge rules, all or none, in order). A
// batch is used by one goroutine.
type Batch interface {
	// Admits reports whether series id may take a point when the aggregate holds at most
	// maxSeries series (0: no bound): a series held with its descriptor may, a new one
	// while fewer than maxSeries are held. A batch that cannot tell without a round trip
	// admits every series (a distributed store admits at Apply: series.Update.Admit).
	Admits(id series.ID, maxSeries int) bool
	// Len is the number of series held, or -1 when the batch cannot tell without a round
	// trip.
	Len() int
	// Grow makes room for n more updates (a hint; a batch that keeps none ignores it).
	Grow(n int)
	// Add merges u. Its point may use the caller's scratch slices: a batch that keeps it
	// past the call copies them. u.Desc, when set, is stored if the series has none;
	// otherwise a store that keeps descriptors as pdata calls d (when not nil) for a
	// series without one and keeps its template. A distributed store never calls d: its
	// caller sends descriptors in u.Desc. Add returns d's error, and then nothing of u
	// was added.
	Add(u *series.Update, d Describer) error
	// Commit applies what was added (a distributed store: in one Apply) and ends the
	// batch. After an error, applying the same updates again with the same batch id
	// (Apply) applies what did not commit, once.
	Commit(ctx context.Context) error
}

// Describer describes the series of an update, only when a store needs it.
type Describer interface {
	// Template is the series' descriptor as pdata (never encoded by the memory store).
	Template() (*series.Template, error)
}

// ApplyFunc is a store's Apply.
type ApplyFunc func(ctx context.Context, batchID string, ups []series.Update, now time.Time) error

// Updates collects copies of updates for one Apply: the store of a distributed backend's
// Batch, and of the processor's policy in front of one.
type Updates struct {
	Ups []series.Update
}

// Grow makes room for n more updates.
func (c *Updates) Grow(n int) {
	if n > cap(c.Ups)-len(c.Ups) {
		ups := make([]series.Update, len(c.Ups), len(c.Ups)+n)
		copy(ups, c.Ups)
		c.Ups = ups
	}
}

// Append appends a copy of u, its point's slices copied too (they may be the caller's
// scratch).
func (c *Updates) Append(u *series.Update) {
	c.Ups = append(c.Ups, *u)
	pt := &c.Ups[len(c.Ups)-1].Point
	pt.Buckets = append([]uint64(nil), pt.Buckets...)
	pt.Pos = append([]uint64(nil), pt.Pos...)
	pt.Neg = append([]uint64(nil), pt.Neg...)
}

// Collect returns the Batch of a store that takes a whole batch in one Apply (the
// distributed ones, one pipelined round trip): Add copies, Commit applies what was added
// through apply, with batchID.
func Collect(batchID string, now time.Time, apply ApplyFunc) Batch {
	return &collected{apply: apply, batchID: batchID, now: now}
}

type collected struct {
	Updates
	apply   ApplyFunc
	batchID string
	now     time.Time
}

func (c *collected) Admits(series.ID, int) bool { return true }
func (c *collected) Len() int                   { return -1 }

func (c *collected) Add(u *series.Update, _ Describer) error {
	c.Append(u)
	return nil
}

func (c *collected) Commit(ctx context.Context) error {
	if len(c.Ups) == 0 {
		return nil
	}
	return c.apply(ctx, c.batchID, c.Ups, c.now)
}

// Persistent is a backend whose whole state can be saved to a storage extension and
// restored from it (the memory backend).
type Persistent interface {
	// Save returns the whole state.
	Save() SavedState
	// Restore loads a saved state, skipping series already expired at now, and returns
	// the number of series restored.
	Restore(s SavedState, now time.Time) int
}
