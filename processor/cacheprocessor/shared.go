// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"context"
	"errors"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// sharedIngest is this replica's policy in front of a distributed store, behind the
// store's own interface (backend.Ingester): descriptors sent only when the store may
// lack them and max_series admission asked of the store only for series this replica
// does not know admitted (known.go), points merged locally between applies
// (apply_interval, pending.go), and the batches the store refused kept in the outage
// buffer and replayed with their batch id (buffer.go).
type sharedIngest struct{ p *cacheProcessor }

// Begin opens a batch; it is used under p.mu until Commit, which is called without it.
// A batch names itself: batchID is not used (every apply gets a fresh id, kept by a
// replay).
func (s sharedIngest) Begin(_ string, now time.Time) backend.Batch {
	return &sharedBatch{p: s.p, now: now, nowNs: now.UnixNano()}
}

// sharedBatch is sharedIngest's Batch.
type sharedBatch struct {
	p     *cacheProcessor
	now   time.Time
	nowNs int64
	ups   backend.Updates // apply_interval 0: what Commit applies
}

// Admits refuses, until the next export, the series the shared aggregate refused;
// every other series is admitted here, and the store asked to admit it (Add) when this
// replica does not know it admitted.
func (b *sharedBatch) Admits(id series.ID, maxSeries int) bool {
	if maxSeries <= 0 {
		return true
	}
	if e, ok := b.p.knownEntry(id, b.nowNs); ok && e.admitted {
		return true
	}
	_, refused := b.p.known.refused[id]
	return !refused
}

// Len is -1: the store counts its series.
func (b *sharedBatch) Len() int { return -1 }

// Grow makes room for n updates (apply_interval 0: they are kept until Commit).
func (b *sharedBatch) Grow(n int) {
	if b.p.cfg.ApplyInterval == 0 {
		if b.ups.Ups == nil {
			if u, ok := b.p.upsPool.Get().(*[]series.Update); ok {
				b.ups.Ups = (*u)[:0]
			}
		}
		b.ups.Grow(n) // at most one allocation per batch: applied batches' slices are reused
	}
}

// Add prepares u for the store (descriptor, admission) and keeps a copy of it: pending
// (apply_interval) or in the batch.
func (b *sharedBatch) Add(u *series.Update, d backend.Describer) error {
	pd, ok := d.(*describer)
	if !ok {
		return errors.New("tasker_cache: a distributed store's update needs the processor's describer")
	}
	if err := b.p.prepare(u, pd, b.nowNs); err != nil {
		return err
	}
	if b.p.cfg.ApplyInterval > 0 {
		b.p.pend.add(u)
		return nil
	}
	b.ups.Append(u) // the batch outlives this call: the scratch slices are copied
	return nil
}

// Commit applies the batch (buffered when the store fails: never an error), then what
// is pending when there is too much of it.
func (b *sharedBatch) Commit(ctx context.Context) error {
	if len(b.ups.Ups) > 0 && !b.p.applyRemote(ctx, b.ups.Ups, b.now) {
		// Applied, so nobody holds the slice any more (the outage buffer keeps the
		// ones it replays): the next batch reuses it instead of allocating and
		// zeroing one (≈ 270 kB for 1,000 points). Append overwrites every update.
		ups := b.ups.Ups[:0]
		b.ups.Ups = nil
		b.p.upsPool.Put(&ups)
	}
	if b.p.cfg.ApplyInterval > 0 {
		b.p.mu.Lock()
		full := b.p.pend.len() >= maxPendingSeries
		b.p.mu.Unlock()
		if full {
			b.p.flushPending(ctx)
		}
	}
	return nil
}

// applyRemote applies a batch to a distributed backend; when that fails the batch is
// buffered (bounded) and replayed with the same batch id, so a batch whose reply was
// lost is not counted twice. It reports whether the buffer kept ups.
func (p *cacheProcessor) applyRemote(ctx context.Context, ups []series.Update, now time.Time) (kept bool) {
	id := p.instance + ":" + strconv.FormatInt(now.UnixNano(), 36) + ":" + strconv.FormatInt(p.seq.Add(1), 36)
	if p.buf.points() == 0 {
		actx, cancel := context.WithTimeout(ctx, p.applyTimeout())
		err := p.be.Apply(actx, id, ups, now)
		cancel()
		if err == nil {
			p.applied(ctx, ups, now)
			return false
		}
		p.tel.ProcessorTaskerCacheBackendErrors.Add(ctx, 1)
		p.logger.Warn("tasker_cache: backend apply failed; buffering the batch for replay", zap.Error(err), zap.Int("points", len(ups)))
	}
	if dropped := p.buf.add(id, ups, now); dropped > 0 {
		p.tel.ProcessorTaskerCacheBufferDroppedPoints.Add(ctx, int64(dropped))
		p.logger.Error("tasker_cache: outage buffer full (max_buffered_points); points dropped",
			zap.Int("dropped", dropped), zap.Int("max_buffered_points", p.cfg.MaxBufferedPoints))
	}
	return true
}

func (p *cacheProcessor) applyTimeout() time.Duration {
	return min(p.cfg.ExportTimeout, 5*time.Second)
}
