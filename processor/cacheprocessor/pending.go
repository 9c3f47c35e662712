// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"context"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// maxPendingSeries makes ConsumeMetrics apply at once when this many series are
// pending (apply_interval), bounding memory and the size of one Apply.
const maxPendingSeries = 10_000

// pending holds the points merged locally between two applies (apply_interval): one
// update per series, merged by the same rules the backends apply (series.Merge), so
// applying the merged update equals applying its points one after the other.
type pending struct {
	idx map[series.ID]int
	ups []series.Update
}

func (q *pending) len() int { return len(q.ups) }

// add merges u (whose point may use scratch slices: they are copied) into the pending
// update of its series.
func (q *pending) add(u *series.Update) {
	if q.idx == nil {
		q.idx = map[series.ID]int{}
	}
	i, ok := q.idx[u.ID]
	if !ok || q.ups[i].Kind != u.Kind {
		var pt series.Point
		series.Merge(u.Kind, &pt, &u.Point) // a clone: pt is zero
		nu := series.Update{ID: u.ID, Kind: u.Kind, Desc: u.Desc, Point: pt, Admit: u.Admit, Overflow: u.Overflow, OverflowDesc: u.OverflowDesc}
		if ok {
			if nu.Desc == nil {
				nu.Desc = q.ups[i].Desc
			}
			q.ups[i] = nu // only an ID collision changes the kind: the newest wins
			return
		}
		q.idx[u.ID] = len(q.ups)
		q.ups = append(q.ups, nu)
		return
	}
	series.Merge(u.Kind, &q.ups[i].Point, &u.Point)
	if q.ups[i].Desc == nil {
		q.ups[i].Desc = u.Desc
	}
	if u.Admit && !q.ups[i].Admit {
		q.ups[i].Admit, q.ups[i].Overflow, q.ups[i].OverflowDesc = true, u.Overflow, u.OverflowDesc
	}
}

// take returns the pending updates and empties the queue.
func (q *pending) take() []series.Update {
	ups := q.ups
	q.ups, q.idx = nil, nil
	return ups
}

// flushPending applies what is pending (through applyRemote: buffered on failure).
func (p *cacheProcessor) flushPending(ctx context.Context) {
	p.mu.Lock()
	ups := p.pend.take()
	p.mu.Unlock()
	if len(ups) > 0 {
		p.applyRemote(ctx, ups, p.now())
	}
}

// applyLoop flushes the pending points every apply_interval.
func (p *cacheProcessor) applyLoop(ctx context.Context) {
	defer p.wg.Done()
	every(ctx, p.cfg.ApplyInterval, func() bool {
		p.flushPending(context.WithoutCancel(ctx))
		return true
	})
}
