// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/internal/codec/promtext"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/metadata"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// OverflowAttribute marks the series that points of new series fold into once
// max_series is reached.
const OverflowAttribute = "otel.metric.overflow"

type cacheProcessor struct {
	cfg    *Config
	logger *zap.Logger
	next   consumer.Metrics
	tel    *metadata.TelemetryBuilder
	set    processor.Settings

	be       backend.Backend
	ingest   backend.Ingester   // be, or on a distributed store sharedIngest in front of it
	persist  backend.Persistent // be, when it can be saved to a storage extension
	instance string
	now      func() time.Time

	// mu guards the identity state below (the identifier is not concurrent-safe).
	mu         sync.Mutex
	ident      *series.Identifier
	replayMu   sync.Mutex  // serialises replay of the outage buffer
	settleMu   sync.Mutex  // serialises settle (readiness markers)
	unmarked   atomic.Bool // the last readiness marker could not be written: the replay loop retries it
	known      knownSeries
	boundsSeen map[series.ID]series.ID
	overflow   pcommon.Map
	scratch    []uint64

	buf      *outageBuffer
	upsPool  sync.Pool // *[]series.Update: the slices of applied batches (shared.go)
	pend     pending   // apply_interval > 0: points merged locally, not yet applied (under mu)
	seq      atomic.Int64
	series   atomic.Int64
	lastLost atomic.Int64

	storage  storageClient
	registry *registrySource // nil without a tasker_registry

	// backend, when set (withBackend), is used instead of the configured one.
	backend backend.Backend

	cancel  context.CancelFunc
	wg      sync.WaitGroup // the loops, and an export's lease-renew goroutine
	started atomic.Bool
}

// option configures a processor beyond its Config.
type option func(*cacheProcessor)

// withBackend makes the processor use be instead of the configured backend (tests:
// several processors sharing one store stand for replicas). Start starts it; Shutdown
// and a failed Start close it.
func withBackend(be backend.Backend) option {
	return func(p *cacheProcessor) { p.backend = be }
}

func newCacheProcessor(set processor.Settings, cfg *Config, next consumer.Metrics, opts ...option) (*cacheProcessor, error) {
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	instance := cfg.InstanceID
	if instance == "" {
		instance = defaultInstanceID()
	}
	overflow := pcommon.NewMap()
	overflow.PutBool(OverflowAttribute, true)
	p := &cacheProcessor{
		cfg:        cfg,
		logger:     set.Logger,
		next:       next,
		tel:        tel,
		set:        set,
		instance:   instance,
		now:        time.Now,
		ident:      series.NewIdentifier(cfg.DropResourceAttributes, cfg.DropAttributes),
		known:      newKnownSeries(),
		boundsSeen: map[series.ID]series.ID{},
		overflow:   overflow,
		buf:        newOutageBuffer(cfg.MaxBufferedPoints),
	}
	for _, o := range opts {
		o(p)
	}
	return p, nil
}

func (p *cacheProcessor) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

// ConsumeMetrics merges every aggregatable data point into the aggregate; summaries
// (and everything, with pass_through) are forwarded as they are.
func (p *cacheProcessor) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	now := p.now()
	p.mu.Lock()
	// One path for every store: the memory store merges in place under its lock until
	// Commit; the policy in front of a distributed store (sharedIngest) collects the
	// updates and applies them at Commit, once p.mu is released.
	b := p.ingest.Begin("", now)
	b.Grow(md.DataPointCount())
	merged, passed, passthrough := p.walk(ctx, md, func(u *series.Update, d *describer) bool {
		if !d.force && p.cfg.MaxSeries > 0 && !b.Admits(u.ID, p.cfg.MaxSeries) {
			return false
		}
		if err := b.Add(u, d); err != nil {
			p.logger.Warn("tasker_cache: cannot describe series; point dropped", zap.Error(err))
		}
		return true
	})
	if n := b.Len(); n >= 0 {
		p.series.Store(int64(n))
	}
	p.mu.Unlock()
	if err := b.Commit(ctx); err != nil {
		p.tel.ProcessorTaskerCacheBackendErrors.Add(ctx, 1)
		p.logger.Warn("tasker_cache: backend apply failed; points dropped", zap.Error(err))
	}
	p.tel.ProcessorTaskerCachePointsReceived.Add(ctx, int64(merged))
	if p.cfg.PassThrough {
		p.tel.ProcessorTaskerCachePointsPassedThrough.Add(ctx, int64(md.DataPointCount()))
		return p.next.ConsumeMetrics(ctx, md)
	}
	if passed > 0 {
		p.tel.ProcessorTaskerCachePointsPassedThrough.Add(ctx, int64(passed))
		return p.next.ConsumeMetrics(ctx, passthrough)
	}
	return nil
}

// walk turns every aggregatable point of md into an update and hands it to merge, which
// returns false when the series is new and max_series is reached: the point then goes
// to the metric's overflow series (merged again with d.force set: always admitted). It returns the points merged, the points passed
// through and the pass-through metrics.
func (p *cacheProcessor) walk(ctx context.Context, md pmetric.Metrics, merge func(u *series.Update, d *describer) bool) (int, int, pmetric.Metrics) {
	merged, passed := 0, 0
	var pass pmetric.Metrics
	var u series.Update
	// One describer per call, its fields set per point: a closure per point would cost
	// two allocations per point on the hot path.
	d := &describer{ident: p.ident}
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			scope := p.ident.Scope(rm.Resource(), sm.Scope())
			var passScope pmetric.ScopeMetrics
			for _, m := range sm.Metrics().All() {
				kind, ok := series.KindOf(m)
				if !ok {
					if p.cfg.PassThrough {
						continue // forwarded whole below
					}
					if passed == 0 && pass == (pmetric.Metrics{}) {
						pass = pmetric.NewMetrics()
					}
					if passScope == (pmetric.ScopeMetrics{}) {
						prm := pass.ResourceMetrics().AppendEmpty()
						rm.Resource().CopyTo(prm.Resource())
						prm.SetSchemaUrl(rm.SchemaUrl())
						passScope = prm.ScopeMetrics().AppendEmpty()
						sm.Scope().CopyTo(passScope.Scope())
						passScope.SetSchemaUrl(sm.SchemaUrl())
					}
					m.CopyTo(passScope.Metrics().AppendEmpty())
					passed += promtext.PointCount(m)
					continue
				}
				mt := p.ident.Metric(&scope, m, kind)
				each := func(attrs pcommon.Map, bounds pcommon.Float64Slice, fill func(*series.Point)) {
					u = series.Update{ID: p.ident.Point(&mt, attrs, bounds), Kind: kind}
					fill(&u.Point)
					if bounds.Len() > 0 {
						p.checkBounds(ctx, &mt, attrs, u.ID)
					}
					*d = describer{ident: p.ident, scope: &scope, mt: &mt, res: rm.Resource(), is: sm.Scope(), m: m, attrs: attrs, bounds: bounds, overflow: p.overflow}
					if !merge(&u, d) {
						p.tel.ProcessorTaskerCacheSeriesOverflow.Add(ctx, 1)
						d.attrs, d.force = p.overflow, true // the overflow series itself is always admitted
						u.ID = p.ident.Point(&mt, p.overflow, bounds)
						merge(&u, d)
					}
					merged++
				}
				switch m.Type() {
				case pmetric.MetricTypeSum, pmetric.MetricTypeGauge:
					var dps pmetric.NumberDataPointSlice
					if m.Type() == pmetric.MetricTypeSum {
						dps = m.Sum().DataPoints()
					} else {
						dps = m.Gauge().DataPoints()
					}
					for _, dp := range dps.All() {
						if dp.Flags().NoRecordedValue() {
							continue
						}
						each(dp.Attributes(), noBounds, func(pt *series.Point) {
							pt.Start, pt.Time = int64(dp.StartTimestamp()), int64(dp.Timestamp())
							if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
								pt.IsInt, pt.Int = true, dp.IntValue()
							} else {
								pt.Double = dp.DoubleValue()
							}
						})
					}
				case pmetric.MetricTypeHistogram:
					for _, dp := range m.Histogram().DataPoints().All() {
						if dp.Flags().NoRecordedValue() {
							continue
						}
						each(dp.Attributes(), dp.ExplicitBounds(), func(pt *series.Point) {
							pt.Start, pt.Time = int64(dp.StartTimestamp()), int64(dp.Timestamp())
							pt.Count, pt.Sum = dp.Count(), dp.Sum()
							pt.HasMin, pt.Min, pt.HasMax, pt.Max = dp.HasMin(), dp.Min(), dp.HasMax(), dp.Max()
							p.scratch = append(p.scratch[:0], dp.BucketCounts().AsRaw()...)
							pt.Buckets = p.scratch
						})
					}
				case pmetric.MetricTypeExponentialHistogram:
					for _, dp := range m.ExponentialHistogram().DataPoints().All() {
						if dp.Flags().NoRecordedValue() {
							continue
						}
						each(dp.Attributes(), noBounds, func(pt *series.Point) {
							pt.Start, pt.Time = int64(dp.StartTimestamp()), int64(dp.Timestamp())
							pt.Count, pt.Sum, pt.Scale, pt.ZeroCount = dp.Count(), dp.Sum(), dp.Scale(), dp.ZeroCount()
							pt.HasMin, pt.Min, pt.HasMax, pt.Max = dp.HasMin(), dp.Min(), dp.HasMax(), dp.Max()
							pt.PosOffset, pt.Pos = dp.Positive().Offset(), dp.Positive().BucketCounts().AsRaw()
							pt.NegOffset, pt.Neg = dp.Negative().Offset(), dp.Negative().BucketCounts().AsRaw()
						})
					}
				}
			}
		}
	}
	return merged, passed, pass
}

// checkBounds notices a histogram series arriving with bounds other than the ones it
// was first seen with: it becomes a separate series (bounds are part of the identity);
// this counts and logs it once per series.
func (p *cacheProcessor) checkBounds(ctx context.Context, mt *series.Metric, attrs pcommon.Map, id series.ID) {
	key := p.ident.PointWithoutBounds(mt, attrs)
	first, seen := p.boundsSeen[key]
	switch {
	case !seen:
		if len(p.boundsSeen) > 2*max(p.cfg.MaxSeries, 10_000) {
			clear(p.boundsSeen)
		}
		p.boundsSeen[key] = id
	case first != id:
		p.tel.ProcessorTaskerCacheHistogramBoundsMismatch.Add(ctx, 1)
		p.logger.Warn("tasker_cache: histogram bucket bounds changed for a series; keeping it as a separate series",
			zap.String("series", id.String()), zap.String("first_series", first.String()))
		p.boundsSeen[key] = id
	}
}
