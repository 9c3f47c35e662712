// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"context"
	"time"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// maxRefused bounds the series remembered as refused (max_series) between exports.
const maxRefused = 10_000

// knownSeries is what a replica on a distributed backend remembers of the series it
// updates: when it last sent the descriptor, when it last updated the series, and
// whether the shared aggregate admitted it (max_series), and the descriptor itself. Entries go when the series
// would have expired (retention after this replica's last update), so the map holds at
// most the live series this replica writes. refused remembers, until the next export,
// the series the shared aggregate refused, so that their points go to the overflow
// series without asking the store again.
type knownSeries struct {
	m       map[series.ID]knownEntry
	refused map[series.ID]struct{}
}

type knownEntry struct {
	sent, last int64  // Unix ns: descriptor sent, last update
	desc       []byte // the descriptor, to describe the series again in a replay
	admitted   bool
}

func newKnownSeries() knownSeries {
	return knownSeries{m: map[series.ID]knownEntry{}, refused: map[series.ID]struct{}{}}
}

// knownEntry returns what this replica remembers of series id, unless the series would
// have expired since its last update here (under p.mu).
func (p *cacheProcessor) knownEntry(id series.ID, nowNs int64) (knownEntry, bool) {
	e, ok := p.known.m[id]
	if ok && nowNs-e.last > int64(p.cfg.Retention) {
		return knownEntry{}, false
	}
	return e, ok
}

// prepare readies an update for a distributed backend (under p.mu; sharedBatch.Add,
// after Admits): it sets the descriptor when the store may not have it (new to this
// replica, or last sent more than retention/2 ago) and, with max_series, asks the store
// to admit a series this replica does not know admitted. d.force marks the overflow
// series, always admitted.
func (p *cacheProcessor) prepare(u *series.Update, d *describer, nowNs int64) error {
	e, ok := p.knownEntry(u.ID, nowNs)
	retention := int64(p.cfg.Retention)
	if !d.force && p.cfg.MaxSeries > 0 && !(ok && e.admitted) {
		ov, ovDesc, err := d.overflowSeries()
		if err != nil {
			return err
		}
		u.Admit, u.Overflow, u.OverflowDesc = true, ov, ovDesc
	}
	if !ok || nowNs-e.sent > retention/2 {
		desc, err := d.describe()
		if err != nil {
			return err
		}
		u.Desc = desc
		e.sent, e.desc = nowNs, desc
	}
	e.last = nowNs
	if d.force {
		e.admitted = true // the overflow series is always admitted
	}
	p.known.m[u.ID] = e
	return nil
}

// applied records the store's admission decisions of a batch it applied.
func (p *cacheProcessor) applied(ctx context.Context, ups []series.Update, at time.Time) {
	overflowed := 0
	p.mu.Lock()
	for i := range ups {
		u := &ups[i]
		switch {
		case u.Overflowed:
			overflowed++
			delete(p.known.m, u.Overflow)
			if len(p.known.refused) >= maxRefused {
				clear(p.known.refused)
			}
			p.known.refused[u.Overflow] = struct{}{}
			if e, ok := p.known.m[u.ID]; ok {
				e.admitted = true
				p.known.m[u.ID] = e
			} else { // its descriptor went with the batch (OverflowDesc)
				p.known.m[u.ID] = knownEntry{sent: at.UnixNano(), last: at.UnixNano(), desc: u.Desc, admitted: true}
			}
		case u.Admitted:
			if e, ok := p.known.m[u.ID]; ok {
				e.admitted = true
				p.known.m[u.ID] = e
			}
		}
	}
	p.mu.Unlock()
	if overflowed > 0 {
		p.tel.ProcessorTaskerCacheSeriesOverflow.Add(ctx, int64(overflowed))
	}
}

// pruneKnown forgets the series this replica has not updated for a retention (they
// expired unless another replica updates them) and the refusals of the last interval.
func (p *cacheProcessor) pruneKnown(nowNs int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, e := range p.known.m {
		if nowNs-e.last > int64(p.cfg.Retention) {
			delete(p.known.m, id)
		}
	}
	clear(p.known.refused)
}

// describeAll gives every update of a batch about to be replayed its descriptor: the
// store may have lost what it had (a restart without persistence, memcached), and
// points without a descriptor cannot be exported. Descriptors are stored only if
// absent, so sending them again costs bytes, not correctness.
func (p *cacheProcessor) describeAll(ups []series.Update) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range ups {
		if ups[i].Desc == nil {
			ups[i].Desc = p.known.m[ups[i].ID].desc
		}
	}
}

// redescribe makes every series send its descriptor with its next update (the store
// lost some: Snapshot found series without one).
func (p *cacheProcessor) redescribe() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, e := range p.known.m {
		e.sent = 0
		p.known.m[id] = e
	}
}
