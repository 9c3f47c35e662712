// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package memcachedbackend

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// maxPending bounds how many partly applied batches the backend remembers.
const maxPending = 1 << 16

// batchProgress is what this process knows about a batch whose Apply failed part-way,
// so that its replay (same batch id) applies exactly the rest.
type batchProgress struct {
	at   time.Time
	done map[series.ID]struct{} // written (confirmed by memcached), or decided not to write
	amb  map[series.ID]uint64   // sent without a reply: the write version it would have made
}

func (b *Backend) takeProgress(id string) *batchProgress {
	b.pmu.Lock()
	defer b.pmu.Unlock()
	p := b.pending[id]
	delete(b.pending, id)
	return p
}

func (b *Backend) keepProgress(id string, p *batchProgress) {
	if p == nil {
		return
	}
	b.pmu.Lock()
	defer b.pmu.Unlock()
	if len(b.pending) >= maxPending {
		b.prunePendingLocked(time.Now())
		if len(b.pending) >= maxPending {
			var oldest string
			var at time.Time
			for k, v := range b.pending {
				if oldest == "" || v.at.Before(at) {
					oldest, at = k, v.at
				}
			}
			delete(b.pending, oldest)
			b.logger.Warn("memcached backend: too many partly applied batches remembered; forgot the oldest (its replay may count some series twice)",
				zap.String("batch", oldest))
		}
	}
	b.pending[id] = p
}

func (b *Backend) forget(id string) {
	b.pmu.Lock()
	delete(b.pending, id)
	b.pmu.Unlock()
}

// prunePendingLocked forgets batches older than retention: their markers expired too,
// so a replay after that is not deduplicated anyway.
func (b *Backend) prunePendingLocked(now time.Time) {
	for k, v := range b.pending {
		if now.Sub(v.at) > b.retention {
			delete(b.pending, k)
		}
	}
}

// Group states.
const (
	stPending   = iota
	stDone      // written, or found written by an earlier attempt of the batch
	stAmbiguous // sent, no reply
	stSkipped   // an ambiguous write the replay could not resolve: not written again
)

// group is one series of a batch: its updates, in order.
type group struct {
	id        series.ID
	shard     int
	key       string
	start, n  int32 // range of applier.order
	cur       *memcache.Item
	indexed   int64 // hint this call ensured in the shard index (0: none)
	state     uint8
	ambiguous bool   // an earlier attempt's write is ambiguous
	pv        uint64 // version that write would have made (or makes, when ambiguous now)
}

type applier struct {
	b     *Backend
	ups   []series.Update
	now   int64
	exp   int64
	hash  uint64
	prog  *batchProgress
	order []int32
	gs    []group
}

// Begin opens a batch that collects copies of the updates added to it and applies
// them at Commit in one Apply (one pipelined round trip), idempotent by batchID.
func (b *Backend) Begin(batchID string, now time.Time) backend.Batch {
	return backend.Collect(batchID, now, b.Apply)
}

// Apply merges ups into the series items (see the package documentation for the
// protocol and what a crash or an error part-way leaves behind).
func (b *Backend) Apply(ctx context.Context, batchID string, ups []series.Update, now time.Time) error {
	const op = "apply"
	if err := ctx.Err(); err != nil {
		return wrap(op, err)
	}
	if len(ups) == 0 {
		return nil
	}
	for i := range ups {
		if !validKind(ups[i].Kind) {
			return wrap(op, fmt.Errorf("update %d (series %s): unknown kind %d", i, ups[i].ID, ups[i].Kind))
		}
	}
	a := &applier{b: b, ups: ups, now: now.UnixNano()}
	a.exp = a.now + int64(b.retention)
	var marker string
	if batchID != "" {
		marker = b.batchKey(batchID)
		a.hash = batchHash(batchID)
		_, err := b.get(ctx, marker)
		if err == nil {
			b.forget(batchID)
			return nil // applied before
		}
		if !errors.Is(err, memcache.ErrCacheMiss) {
			return keyErr(op, marker, err)
		}
		a.prog = b.takeProgress(batchID)
	}
	err := b.admit(ctx, ups, now)
	if err == nil {
		err = a.run(ctx)
	}
	if err == nil && marker != "" {
		err = b.write(ctx, func() error {
			return b.client.Add(&memcache.Item{Key: marker, Value: []byte{'1'}, Expiration: expiration(b.retention)})
		})
		if errors.Is(err, memcache.ErrNotStored) {
			err = nil
		}
		if err != nil {
			err = keyErr(op, marker, err)
		}
	}
	if err != nil && batchID != "" {
		b.keepProgress(batchID, a.progress())
	}
	return err
}

// group splits the updates by series, in order, leaving out the series an earlier
// attempt of the batch wrote.
func (a *applier) group() {
	pos := make(map[series.ID]int32, len(a.ups))
	a.gs = make([]group, 0, len(a.ups))
	gi := make([]int32, len(a.ups))
	for i := range a.ups {
		id := a.ups[i].ID
		g, ok := pos[id]
		if !ok {
			g = int32(len(a.gs))
			pos[id] = g
			a.gs = append(a.gs, group{id: id, shard: a.b.shardOf(id)})
		}
		a.gs[g].n++
		gi[i] = g
	}
	var off int32
	for i := range a.gs {
		a.gs[i].start = off
		off += a.gs[i].n
		a.gs[i].n = 0
	}
	a.order = make([]int32, len(a.ups))
	for i, g := range gi {
		gr := &a.gs[g]
		a.order[gr.start+gr.n] = int32(i)
		gr.n++
	}
	if p := a.prog; p != nil {
		for i := range a.gs {
			g := &a.gs[i]
			if _, ok := p.done[g.id]; ok {
				g.state = stDone
			} else if v, ok := p.amb[g.id]; ok {
				g.ambiguous, g.pv = true, v
			}
		}
	}
}

func (a *applier) run(ctx context.Context) error {
	const op = "apply"
	b := a.b
	a.group()
	todo := make([]*group, 0, len(a.gs))
	keys := make([]string, 0, len(a.gs))
	for i := range a.gs {
		g := &a.gs[i]
		if g.state == stDone {
			continue
		}
		g.key = b.seriesKey(g.id)
		todo = append(todo, g)
		keys = append(keys, g.key)
	}
	if len(todo) == 0 {
		return nil
	}
	items, err := b.getMulti(ctx, keys)
	if err != nil {
		return wrap(op, fmt.Errorf("read %d series items: %w", len(keys), err))
	}

	// Index first: every series item is listed in its shard index before it is written,
	// so an item is never unreachable (a crash leaves at most an index entry without an
	// item, which Snapshot skips and Expire removes).
	adds := map[int][]idxEntry{}
	for _, g := range todo {
		g.cur = items[g.key]
		var have int64
		if g.cur != nil {
			have, _ = peekIndexed(g.cur.Value)
		}
		if have < a.exp-b.slack {
			adds[g.shard] = append(adds[g.shard], idxEntry{id: g.id, hint: a.exp})
			g.indexed = -1 // to be listed below
		}
	}
	if len(adds) > 0 {
		shards := make([]int, 0, len(adds))
		ikeys := make([]string, 0, len(adds))
		for s := range adds {
			shards = append(shards, s)
		}
		slices.Sort(shards)
		for _, s := range shards {
			ikeys = append(ikeys, b.keys.index[s])
		}
		idx, err := b.getMulti(ctx, ikeys)
		if err != nil {
			return wrap(op, fmt.Errorf("read %d shard indexes: %w", len(ikeys), err))
		}
		ref := refNow(a.now)
		err = b.forEach(ctx, len(shards), func(ctx context.Context, _, i int) error {
			s := shards[i]
			add := adds[s]
			sortEntries(add)
			return b.ensureIndexed(ctx, op, s, ref, &prefetched{idx[ikeys[i]]}, add)
		})
		if err != nil {
			return err
		}
		for _, g := range todo {
			if g.indexed == -1 {
				g.indexed = a.exp // listed with this hint (and only these: an item's indexed never overstates its hint)
			}
		}
	}

	bufs := make([][]byte, min(len(todo), b.cfg.MaxIdleConns))
	return b.forEach(ctx, len(todo), func(ctx context.Context, w, i int) error {
		return a.write(ctx, &bufs[w], todo[i])
	})
}

// write read-merge-writes one series with CAS until it wins or gives up.
func (a *applier) write(ctx context.Context, buf *[]byte, g *group) error {
	const op = "apply"
	b := a.b
	cur := g.cur
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if err := b.retryWait(ctx, op, g.key, attempt); err != nil {
				return err
			}
			it, err := b.get(ctx, g.key)
			if err != nil && !errors.Is(err, memcache.ErrCacheMiss) {
				return keyErr(op, g.key, err)
			}
			cur = it
		}
		var it item
		exists := cur != nil
		if exists {
			if err := decodeItemAt(op, g.key, cur.Value, &it); err != nil {
				return err
			}
			if a.hash != 0 && slices.Contains(it.ring[:], a.hash) {
				g.state = stDone // an earlier attempt of this batch wrote it
				return nil
			}
			if g.ambiguous {
				// The earlier write would have made version pv. Not in the ring: either it did
				// not happen (the item is still before pv, or pv is in the ring with another
				// batch, or this is another incarnation of the item), or it happened and more
				// than ringSize writes followed: unknowable, so skip rather than count twice.
				if d := it.ver - g.pv; d >= ringSize && d < 1<<32 {
					g.state = stSkipped
					b.stats.ambiguousSkipped.Add(1)
					b.logger.Warn("memcached backend: could not tell whether an earlier attempt of a batch updated a series (too many writes since); not applying it again",
						zap.String("key", g.key), zap.Uint64("writes_since", d))
					return nil
				}
			}
		}
		have := g.indexed
		if exists {
			have = max(have, it.indexed)
		}
		if have < a.exp-b.slack {
			// Re-created since the first read (Expire deleted it), or the index was lost.
			if err := b.ensureIndexed(ctx, op, g.shard, refNow(a.now), nil, []idxEntry{{id: g.id, hint: a.exp}}); err != nil {
				return err
			}
			g.indexed, have = a.exp, a.exp
		}
		if exists {
			it.ver++
		} else {
			it = item{ver: randomVersion()}
			it.st.FirstSeen = a.now
		}
		it.ring[it.ver%ringSize] = a.hash
		it.indexed = have
		it.expiry = max(it.expiry, a.exp)
		it.st.LastUpdate = a.now
		a.merge(&it, g)
		*buf = appendItem((*buf)[:0], &it)
		if len(*buf) > maxValueSize {
			return keyErr(op, g.key, fmt.Errorf("series item would be %d bytes; memcached items are limited to 1 MB", len(*buf)))
		}
		mi := memcache.Item{Key: g.key, Value: *buf, Expiration: b.itemExpiration(&it)}
		if exists {
			mi.CasID = cur.CasID
		}
		err := b.writeSeries(ctx, &mi, exists)
		switch {
		case err == nil:
			g.state = stDone
			return nil
		case conflict(err):
			continue
		case notSent(err):
			return keyErr(op, g.key, err)
		default:
			g.state, g.ambiguous, g.pv = stAmbiguous, true, it.ver
			b.stats.ambiguous.Add(1)
			return keyErr(op, g.key, err)
		}
	}
}

// writeSeries stores a series item: CAS when it existed, else add.
func (b *Backend) writeSeries(ctx context.Context, mi *memcache.Item, exists bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var err error
	switch {
	case b.writeHook != nil:
		err = b.writeHook(mi.Key, func() error { return b.storeSeries(mi, exists) })
	default:
		err = b.storeSeries(mi, exists)
	}
	b.resetPool(err)
	return err
}

func (b *Backend) storeSeries(mi *memcache.Item, exists bool) error {
	if exists {
		return b.client.CompareAndSwap(mi)
	}
	return b.client.Add(mi)
}

// merge applies the group's updates to it, in order.
func (a *applier) merge(it *item, g *group) {
	for _, i := range a.order[g.start : g.start+g.n] {
		u := &a.ups[i]
		if it.st.Kind != u.Kind {
			if it.st.Kind != 0 {
				// Only an ID collision (or a metric whose type changed) does this: restart.
				a.b.stats.kindChanges.Add(1)
				a.b.logger.Warn("memcached backend: series changed kind; restarted it",
					zap.String("series", g.id.String()), zap.Uint8("was", uint8(it.st.Kind)), zap.Uint8("now", uint8(u.Kind)))
				it.st.Point, it.st.Exported = series.Point{}, nil
			}
			it.st.Kind = u.Kind
		}
		if it.st.Desc == nil && u.Desc != nil {
			it.st.Desc = bytes.Clone(u.Desc)
		}
		series.Merge(u.Kind, &it.st.Point, &u.Point)
	}
}

// progress is what a replay of the batch needs to know.
func (a *applier) progress() *batchProgress {
	p := &batchProgress{at: time.Now(), done: map[series.ID]struct{}{}, amb: map[series.ID]uint64{}}
	if a.prog != nil {
		p.at = a.prog.at
		for id := range a.prog.done {
			p.done[id] = struct{}{}
		}
	}
	for i := range a.gs {
		g := &a.gs[i]
		switch {
		case g.state == stDone || g.state == stSkipped:
			p.done[g.id] = struct{}{}
		case g.ambiguous:
			p.amb[g.id] = g.pv
		}
	}
	return p
}

func sortEntries(es []idxEntry) {
	slices.SortFunc(es, func(x, y idxEntry) int { return cmp.Compare(x.id, y.id) })
}
