// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// registrySource is the processor as tasker_registry sees it: the metrics source whose
// aggregate the registry serves (GET /v1/export, /metrics), and the reporter of cache
// syncs (every export attempt that read the aggregate).
type registrySource struct {
	p        *cacheProcessor
	handle   *taskerregistry.SourceHandle
	lastSync atomic.Int64 // Unix nanos
}

// attachRegistry registers the processor with the configured (or only) tasker_registry.
// No registry running and none configured: nothing to do.
func (p *cacheProcessor) attachRegistry(host component.Host) error {
	reg, err := taskerregistry.Find(host, p.cfg.Registry)
	if err != nil {
		return fmt.Errorf("tasker_cache: %w", err)
	}
	if reg == nil {
		return nil
	}
	src := &registrySource{p: p}
	h, err := reg.RegisterMetricsSource(taskerregistry.SourceRegistration{ComponentID: p.set.ID, Source: src})
	if err != nil {
		return fmt.Errorf("tasker_cache: registering with %s: %w", "tasker_registry", err)
	}
	src.handle = h
	p.registry = src
	return nil
}

// Snapshot reads the current aggregate from the backend, cumulative (whatever the
// processor's output temporality), as a fresh pmetric.Metrics the caller owns.
func (s *registrySource) Snapshot(ctx context.Context) (pmetric.Metrics, error) {
	p := s.p
	if p.be == nil {
		return pmetric.Metrics{}, errors.New("tasker_cache is not started")
	}
	now := p.now()
	states, _, err := p.be.Snapshot(ctx, now)
	if err != nil {
		return pmetric.Metrics{}, fmt.Errorf("tasker_cache: reading the aggregate: %w", err)
	}
	return p.build(states, now, false), nil
}

// Info is cheap: what the processor already knows.
func (s *registrySource) Info() taskerregistry.SourceInfo {
	p := s.p
	info := taskerregistry.SourceInfo{SeriesCount: int(p.series.Load())}
	if p.be != nil {
		info.Strategy = string(p.be.Strategy())
		info.Capabilities = taskerregistry.Capabilities(p.be.Capabilities())
	}
	if ns := s.lastSync.Load(); ns > 0 {
		info.LastSync = time.Unix(0, ns)
	}
	return info
}

// reportSync reports an export attempt that got as far as the aggregate (exported,
// empty or failed) as a cache sync; skipped intervals are not syncs of this replica.
func (p *cacheProcessor) reportSync(outcome string, start time.Time) {
	s := p.registry
	if s == nil {
		return
	}
	var err error
	switch outcome {
	case outcomeExported, outcomeEmpty:
	case outcomeFailed:
		err = errors.New("export failed (see the collector log)")
	default:
		return
	}
	now := time.Now()
	if err == nil {
		s.lastSync.Store(now.UnixNano())
	}
	s.handle.ReportCacheSync(taskerregistry.CacheSync{
		Strategy:    string(p.be.Strategy()),
		SeriesCount: int(p.series.Load()),
		Duration:    now.Sub(start),
		Err:         err,
		LockHolder:  p.instance,
		Time:        now,
	})
}
