// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
)

// Start opens the backend, registers the telemetry callbacks, opens the storage client
// and attaches to the registry. Whatever step fails, everything opened before it is
// closed again (backend, storage client, callbacks): a failed Start leaks nothing.
func (p *cacheProcessor) Start(ctx context.Context, host component.Host) (err error) {
	be, chosen := p.backend, p.cfg.Backend
	if be != nil {
		if err := be.Start(ctx); err != nil {
			_ = be.Close()
			return fmt.Errorf("tasker_cache: backend %s: %w", chosen, err)
		}
	} else if be, chosen, err = openBackend(ctx, p.cfg, p.logger); err != nil {
		return fmt.Errorf("tasker_cache: backend %s: %w", p.cfg.Backend, err)
	}
	p.be = be
	defer func() {
		if err != nil {
			p.abortStart(ctx)
		}
	}()
	if c, ok := be.(interface{ SetMaxSeries(int) }); ok {
		c.SetMaxSeries(p.cfg.MaxSeries) // max_series of the shared aggregate, enforced in the store
	}
	caps := be.Capabilities()
	// One ingest path: the store's own batches, or on a shared store this replica's
	// policy in front of it (shared.go).
	p.ingest = be
	if caps.Distributed {
		p.ingest = sharedIngest{p: p}
	}
	p.logger.Info("tasker_cache backend ready",
		zap.String("backend", chosen), zap.String("strategy", string(be.Strategy())),
		zap.Bool("distributed", caps.Distributed), zap.Bool("atomic_increment", caps.AtomicIncrement),
		zap.Bool("locking", caps.Locking), zap.Bool("ttl", caps.TTL), zap.String("instance", p.instance))
	if err := p.registerCallbacks(); err != nil {
		return fmt.Errorf("tasker_cache: registering telemetry: %w", err)
	}
	if p.cfg.Storage != nil {
		persist, ok := be.(backend.Persistent)
		if !ok || caps.Distributed {
			return errors.New("tasker_cache: storage applies to the memory backend only")
		}
		p.persist = persist
		client, err := openStorage(ctx, host, *p.cfg.Storage, p.set.ID)
		if err != nil {
			return err
		}
		p.storage = client
		if n, err := p.restore(ctx); err != nil {
			p.logger.Warn("tasker_cache: could not restore the snapshot; starting empty", zap.Error(err))
		} else if n > 0 {
			p.logger.Info("tasker_cache: restored aggregate from storage", zap.Int("series", n))
		}
	}
	if err := p.attachRegistry(host); err != nil {
		return err
	}
	if caps.Distributed {
		// Nothing acknowledged yet: ready for the current interval. Registering now
		// makes exporters wait for this replica if it buffers during an outage.
		now := p.now()
		if err := be.MarkReady(ctx, p.instance, now.Truncate(p.cfg.Interval).UnixNano(), now); err != nil {
			p.logger.Warn("tasker_cache: cannot write this replica's readiness marker", zap.Error(err))
		}
	}
	loopCtx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.wg.Add(1)
	go p.loop(loopCtx)
	if caps.Distributed {
		p.wg.Add(1)
		go p.replayLoop(loopCtx)
		if p.cfg.ApplyInterval > 0 {
			p.wg.Add(1)
			go p.applyLoop(loopCtx)
		}
	}
	p.started.Store(true)
	return nil
}

// distributed reports whether the backend is shared with other replicas (valid while
// started): readiness markers, the outage buffer and the replay apply to it.
func (p *cacheProcessor) distributed() bool { return p.be.Capabilities().Distributed }

func (p *cacheProcessor) registerCallbacks() error {
	strategy := attribute.String("strategy", string(p.be.Strategy()))
	return errors.Join(
		p.tel.RegisterProcessorTaskerCacheStrategyCallback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(1, metric.WithAttributes(strategy))
			return nil
		}),
		p.tel.RegisterProcessorTaskerCacheSeriesCallback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(p.series.Load())
			return nil
		}),
		p.tel.RegisterProcessorTaskerCacheBufferedPointsCallback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(int64(p.buf.points()))
			return nil
		}))
}

// abortStart undoes a Start that failed after the backend was opened.
func (p *cacheProcessor) abortStart(ctx context.Context) {
	p.tel.Shutdown() // unregisters the callbacks registered so far
	if p.registry != nil {
		_ = p.registry.handle.Unregister()
		p.registry = nil
	}
	if p.storage != nil {
		if err := p.storage.Close(ctx); err != nil {
			p.logger.Warn("tasker_cache: closing the storage client after a failed start", zap.Error(err))
		}
		p.storage = nil
	}
	if err := p.be.Close(); err != nil {
		p.logger.Warn("tasker_cache: closing the backend after a failed start", zap.Error(err))
	}
	p.be, p.ingest, p.persist = nil, nil, nil
}

func (p *cacheProcessor) Shutdown(ctx context.Context) error {
	if !p.started.Load() {
		return nil
	}
	p.cancel()
	p.wg.Wait() // the loops; an export joins its lease-renew goroutine before it returns
	var errs []error
	// Points buffered during an outage get one last chance, then the aggregate is
	// exported once more so nothing accepted is left unexported.
	distributed := p.distributed()
	if distributed {
		p.flushPending(ctx)
		p.replay(ctx)
		if n := p.buf.points(); n > 0 {
			p.logger.Error("tasker_cache: backend unreachable at shutdown; buffered points lost", zap.Int("points", n))
		}
	}
	p.exportOnce(ctx, p.now(), true)
	if distributed {
		if err := p.be.ForgetReplica(ctx, p.instance); err != nil {
			p.logger.Warn("tasker_cache: cannot remove this replica's readiness marker; the exporter will wait for it until it is a retention old", zap.Error(err))
		}
	}
	if p.storage != nil {
		if err := p.save(ctx); err != nil {
			errs = append(errs, err)
		}
		errs = append(errs, p.storage.Close(ctx))
	}
	if p.registry != nil {
		errs = append(errs, p.registry.handle.Unregister())
	}
	if p.be != nil {
		errs = append(errs, p.be.Close())
	}
	p.tel.Shutdown()
	return errors.Join(errs...)
}
