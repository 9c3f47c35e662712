// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"context"
	"errors"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
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
		if !p.unmarked.Swap(true) {
			p.logger.Warn("tasker_cache: cannot write this replica's readiness marker; retrying", zap.Error(err))
		}
		return false
	}
	p.unmarked.Store(false)
	return true
}

// exportWait bounds everything the exporter of an interval does before it reads the
// aggregate: retrying a store that just came back, and waiting for live replicas to
// replay. It is longer than readyWait, the time a replica retries its own replay in
// its export, so an exporter outwaits a replica that is still replaying.
func (p *cacheProcessor) exportWait() time.Duration {
	return max(2*p.readyWait(), min(p.cfg.Interval*3/4, 30*time.Second))
}

// retryStore runs op until it succeeds, the deadline passes or the lease is lost: a
// store that has just come back fails for a moment (go-redis keeps refusing new
// connections for up to a second after a run of failed dials).
func (p *cacheProcessor) retryStore(ctx context.Context, deadline time.Time, op func() error) error {
	for {
		err := op()
		if err == nil || !p.distributed() || errors.Is(err, backend.ErrLockLost) || !time.Now().Before(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// keepLease renews the export lock every third of its timeout until stop is called
// (which waits for the renewing goroutine); lost is closed if another replica took it.
func (p *cacheProcessor) keepLease(ctx context.Context, lease backend.Lease) (lost <-chan struct{}, stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	lostCh := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		every(ctx, p.cfg.LockTimeout/3, func() bool {
			if err := lease.Renew(ctx, p.cfg.LockTimeout); err != nil {
				if errors.Is(err, backend.ErrLockLost) {
					close(lostCh)
					return false
				}
				p.logger.Warn("tasker_cache: renewing the export lock failed", zap.Error(err))
			}
			return true
		})
	}()
	return lostCh, func() { cancel(); <-done }
}

// waitForReplicas waits, before the exporter reads the aggregate of interval, until
// this replica and every other live replica have applied what they acknowledged before
// it. A replica is live when its marker was written within two intervals (every
// replica writes it at each interval boundary): it is waited for until deadline. One
// not heard of for longer (partitioned, or killed) is waited for only readyWait after
// the export started; one not heard of for a retention is forgotten. It returns the
// replicas it gave up on (their points go out with the next export).
func (p *cacheProcessor) waitForReplicas(ctx context.Context, interval int64, start, deadline time.Time, lost <-chan struct{}) []string {
	staleDeadline := start.Add(p.readyWait())
	if deadline.Before(staleDeadline) {
		staleDeadline = deadline
	}
	for {
		if p.buf.points() > 0 {
			p.settle(ctx, 0) // this replica's own replay failed in its export: retry it
		}
		marks, err := p.be.Replicas(ctx)
		if err != nil && time.Now().Before(deadline) {
			marks = nil // a store just back: retry below
		} else if err != nil {
			p.tel.ProcessorTaskerCacheBackendErrors.Add(ctx, 1)
			p.logger.Warn("tasker_cache: cannot read the replicas' readiness markers; exporting without waiting", zap.Error(err))
			return nil
		}
		now := p.now().UnixNano()
		var live, stale []string
		if err != nil || p.buf.points() > 0 {
			live = append(live, p.instance)
		}
		for owner, m := range marks {
			switch {
			case owner == p.instance:
			case now-m.Seen > int64(p.cfg.Retention):
				// Not heard of for a retention: gone (what it held has expired anyway).
				if err := p.be.ForgetReplica(ctx, owner); err == nil {
					p.logger.Info("tasker_cache: removed the readiness marker of a replica gone for a retention", zap.String("replica", owner))
				}
			case m.Ready >= interval:
			case now-m.Seen <= 2*int64(p.cfg.Interval):
				live = append(live, owner)
			default:
				stale = append(stale, owner)
			}
		}
		t := time.Now()
		if len(live) == 0 && (len(stale) == 0 || !t.Before(staleDeadline)) {
			return p.gaveUp(stale, t.Sub(start))
		}
		if !t.Before(deadline) {
			return p.gaveUp(append(live, stale...), t.Sub(start))
		}
		select {
		case <-ctx.Done():
			return append(live, stale...)
		case <-lost:
			return append(live, stale...)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (p *cacheProcessor) gaveUp(waiting []string, waited time.Duration) []string {
	if len(waiting) == 0 {
		return nil
	}
	slices.Sort(waiting)
	p.tel.ProcessorTaskerCacheReplicasNotReady.Add(context.Background(), int64(len(waiting)))
	p.logger.Warn("tasker_cache: replicas have not applied their points for this interval in time; exporting without them (their points go out with the next export)",
		zap.Strings("replicas", waiting), zap.Duration("waited", waited))
	return waiting
}
