// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// outageBuffer holds batches a distributed backend refused, in order, up to a bound in
// points. Each keeps its batch id, so replaying a batch whose first attempt did reach
// the backend is not counted twice.
type outageBuffer struct {
	max     int
	mu      sync.Mutex
	batches []pendingBatch
	n       int
}

type pendingBatch struct {
	id  string
	ups []series.Update
	at  time.Time
}

func newOutageBuffer(maxPoints int) *outageBuffer { return &outageBuffer{max: maxPoints} }

func (b *outageBuffer) points() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.n
}

// add buffers a batch; the points beyond the bound are dropped (the newest ones), and
// their number returned.
func (b *outageBuffer) add(id string, ups []series.Update, at time.Time) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	room := b.max - b.n
	dropped := 0
	if len(ups) > room {
		dropped = len(ups) - max(room, 0)
		ups = ups[:max(room, 0)]
	}
	if len(ups) > 0 {
		b.batches = append(b.batches, pendingBatch{id: id, ups: ups, at: at})
		b.n += len(ups)
	}
	return dropped
}

func (b *outageBuffer) peek() (pendingBatch, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.batches) == 0 {
		return pendingBatch{}, false
	}
	return b.batches[0], true
}

func (b *outageBuffer) pop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.batches) > 0 {
		b.n -= len(b.batches[0].ups)
		b.batches[0] = pendingBatch{}
		b.batches = b.batches[1:]
	}
}

// replayLoop retries the buffered batches every 250 ms while there are some (and the
// readiness marker while it could not be written); once the buffer is empty the
// replica marks itself ready (an exporter may be waiting for it).
func (p *cacheProcessor) replayLoop(ctx context.Context) {
	defer p.wg.Done()
	every(ctx, 250*time.Millisecond, func() bool {
		if p.buf.points() > 0 || p.unmarked.Load() {
			p.settle(ctx, 0)
		}
		return true
	})
}

// every calls fn every d until ctx is done or fn returns false.
func every(ctx context.Context, d time.Duration, fn func() bool) {
	tick := time.NewTicker(d)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if !fn() {
				return
			}
		}
	}
}

// replay applies buffered batches in order until one fails.
func (p *cacheProcessor) replay(ctx context.Context) {
	// One replay at a time (the loop and an export may both call it): peek-apply-pop
	// must not interleave, or a batch could be popped without being applied.
	p.replayMu.Lock()
	defer p.replayMu.Unlock()
	replayed := 0
	for {
		b, ok := p.buf.peek()
		if !ok {
			break
		}
		p.describeAll(b.ups)
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.applyTimeout())
		// The original time keeps expiry and first-seen as they would have been.
		err := p.be.Apply(actx, b.id, b.ups, b.at)
		cancel()
		if err != nil {
			if replayed > 0 {
				p.logger.Info("tasker_cache: backend still failing during replay", zap.Int("replayed_points", replayed), zap.Error(err))
			}
			return
		}
		replayed += len(b.ups)
		p.applied(ctx, b.ups, b.at)
		p.buf.pop()
	}
	if replayed > 0 {
		p.logger.Info("tasker_cache: backend back; buffered points applied", zap.Int("points", replayed))
	}
}
