// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"context"
	"slices"
	"time"

	"go.uber.org/zap"
)

// Replay before every export, across replicas. Every replica keeps a marker in the
// store: "I have applied every point I acknowledged before interval I". It writes it at
// start, at every interval boundary once what it holds (apply_interval points, the
// outage buffer) is applied, and when a replay after an outage empties its buffer. The
// replica that takes the export lock waits, before it reads the aggregate, until every
// other replica's marker reaches the interval — bounded by readyWait, after which it
// exports without the stragglers (their points go out with the next export). Markers of
// replicas not heard of for a retention are removed; a clean shutdown removes its own.

// readyWait bounds the exporter's wait for the other replicas' markers, and a
// replica's retries of its own replay before it marks itself ready.
func (p *cacheProcessor) readyWait() time.Duration {
	return min(p.cfg.Interval/2, p.cfg.ExportTimeout, 5*time.Second)
}

// settle applies what this replica holds and, when nothing is left, marks it ready for
// the interval in which it started. A failed replay is retried for up to retryFor.
func (p *cacheProcessor) settle(ctx context.Context, retryFor time.Duration) bool {
	// One at a time (the replay loop and the export both settle): markers are then
	// written in the order of their start times and never go back.
	p.settleMu.Lock()
	defer p.settleMu.Unlock()
	started := p.now()
	p.flushPending(ctx)
	deadline := time.Now().Add(retryFor)
	for p.buf.points() > 0 {
		p.replay(ctx)
		if p.buf.points() == 0 {
			break
		}
		if !time.Now().Before(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(100 * time.Millisecond):
		}
	}
	if err := p.be.MarkReady(ctx, p.instance, started.Truncate(p.cfg.Interval).UnixNano(), p.now()); err != nil {
		p.tel.ProcessorTaskerCacheBackendErrors.Add(ctx, 1)
		p.logger.Warn("tasker_cache: cannot write this replica's readiness marker", zap.Error(err))
		return false
	}
	return true
}

// waitForReplicas waits (bounded) until every other live replica has applied what it
// acknowledged before interval. It returns the replicas it gave up on.
func (p *cacheProcessor) waitForReplicas(ctx context.Context, interval int64) []string {
	deadline := time.Now().Add(p.readyWait())
	for {
		marks, err := p.be.Replicas(ctx)
		if err != nil {
			p.tel.ProcessorTaskerCacheBackendErrors.Add(ctx, 1)
			p.logger.Warn("tasker_cache: cannot read the replicas' readiness markers; exporting without waiting", zap.Error(err))
			return nil
		}
		now := p.now().UnixNano()
		var waiting []string
		for owner, m := range marks {
			switch {
			case owner == p.instance:
			case now-m.Seen > int64(p.cfg.Retention):
				// Not heard of for a retention: gone (what it held has expired anyway).
				if err := p.be.ForgetReplica(ctx, owner); err == nil {
					p.logger.Info("tasker_cache: removed the readiness marker of a replica gone for a retention", zap.String("replica", owner))
				}
			case m.Ready < interval:
				waiting = append(waiting, owner)
			}
		}
		if len(waiting) == 0 {
			return nil
		}
		if !time.Now().Before(deadline) {
			slices.Sort(waiting)
			p.logger.Warn("tasker_cache: replicas have not applied their points for this interval in time; exporting without them (their points go out with the next export)",
				zap.Strings("replicas", waiting), zap.Duration("waited", p.readyWait()))
			return waiting
		}
		select {
		case <-ctx.Done():
			return waiting
		case <-time.After(20 * time.Millisecond):
		}
	}
}
