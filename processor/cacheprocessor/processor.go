// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.uber.org/zap"

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
	mem      *backend.Memory // set when be is the memory backend: the lock-once fast path
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
	pend     pending // apply_interval > 0: points merged locally, not yet applied (under mu)
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
	var ups []series.Update
	merged, passed := 0, 0
	var passthrough pmetric.Metrics
	p.mu.Lock()
	if p.mem != nil {
		p.mem.Tx(now, func(tx *backend.Tx) {
			merged, passed, passthrough = p.walk(ctx, md, func(u *series.Update, d *describer, force bool) bool {
				if !force && p.cfg.MaxSeries > 0 && !tx.Has(u.ID) && tx.Len() >= p.cfg.MaxSeries {
					return false
				}
				if err := tx.Merge(u, d.templateFn); err != nil {
					p.logger.Warn("tasker_cache: cannot describe series; point dropped", zap.Error(err))
				}
				return true
			})
			p.series.Store(int64(tx.Len()))
		})
	} else {
		nowNs := now.UnixNano()
		if p.cfg.ApplyInterval == 0 {
			ups = make([]series.Update, 0, md.DataPointCount()) // one allocation per batch
		}
		merged, passed, passthrough = p.walk(ctx, md, func(u *series.Update, d *describer, force bool) bool {
			ok, err := p.prepare(u, d, nowNs, force)
			if err != nil {
				p.logger.Warn("tasker_cache: cannot describe series; point dropped", zap.Error(err))
				return true
			}
			if !ok {
				return false
			}
			if p.cfg.ApplyInterval > 0 {
				p.pend.add(u)
				return true
			}
			pt := u.Point // the batch outlives this call: copy the scratch slices
			pt.Buckets = append([]uint64(nil), pt.Buckets...)
			pt.Pos = append([]uint64(nil), pt.Pos...)
			pt.Neg = append([]uint64(nil), pt.Neg...)
			u.Point = pt
			ups = append(ups, *u)
			return true
		})
	}
	full := p.pend.len() >= maxPendingSeries
	p.mu.Unlock()
	p.tel.ProcessorTaskerCachePointsReceived.Add(ctx, int64(merged))

	if len(ups) > 0 {
		p.applyRemote(ctx, ups, now)
	}
	if full {
		p.flushPending(ctx)
	}
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

// applyRemote applies a batch to a distributed backend; when that fails the batch is
// buffered (bounded) and replayed with the same batch id, so a batch whose reply was
// lost is not counted twice.
func (p *cacheProcessor) applyRemote(ctx context.Context, ups []series.Update, now time.Time) {
	id := p.instance + ":" + strconv.FormatInt(now.UnixNano(), 36) + ":" + strconv.FormatInt(p.seq.Add(1), 36)
	if p.buf.points() == 0 {
		actx, cancel := context.WithTimeout(ctx, p.applyTimeout())
		err := p.be.Apply(actx, id, ups, now)
		cancel()
		if err == nil {
			p.applied(ctx, ups, now)
			return
		}
		p.tel.ProcessorTaskerCacheBackendErrors.Add(ctx, 1)
		p.logger.Warn("tasker_cache: backend apply failed; buffering the batch for replay", zap.Error(err), zap.Int("points", len(ups)))
	}
	if dropped := p.buf.add(id, ups, now); dropped > 0 {
		p.tel.ProcessorTaskerCacheBufferDroppedPoints.Add(ctx, int64(dropped))
		p.logger.Error("tasker_cache: outage buffer full (max_buffered_points); points dropped",
			zap.Int("dropped", dropped), zap.Int("max_buffered_points", p.cfg.MaxBufferedPoints))
	}
}

func (p *cacheProcessor) applyTimeout() time.Duration {
	return min(p.cfg.ExportTimeout, 5*time.Second)
}

// walk turns every aggregatable point of md into an update and hands it to merge, which
// returns false when the series is new and max_series is reached: the point then goes
// to the metric's overflow series. It returns the points merged, the points passed
// through and the pass-through metrics.
func (p *cacheProcessor) walk(ctx context.Context, md pmetric.Metrics, merge func(u *series.Update, d *describer, force bool) bool) (int, int, pmetric.Metrics) {
	merged, passed := 0, 0
	var pass pmetric.Metrics
	var u series.Update
	// One describer per call, its fields set per point: a closure per point would cost
	// two allocations per point on the hot path.
	d := &describer{ident: p.ident}
	d.describeFn, d.templateFn = d.describe, d.template
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
					passed += dataPoints(m)
					continue
				}
				mt := p.ident.Metric(&scope, m, kind)
				each := func(attrs pcommon.Map, bounds pcommon.Float64Slice, fill func(*series.Point)) {
					u = series.Update{ID: p.ident.Point(&mt, attrs, bounds), Kind: kind}
					fill(&u.Point)
					if bounds.Len() > 0 {
						p.checkBounds(ctx, &mt, attrs, u.ID)
					}
					*d = describer{ident: p.ident, scope: &scope, mt: &mt, res: rm.Resource(), is: sm.Scope(), m: m, attrs: attrs, bounds: bounds, overflow: p.overflow, describeFn: d.describeFn, templateFn: d.templateFn}
					if !merge(&u, d, false) {
						p.tel.ProcessorTaskerCacheSeriesOverflow.Add(ctx, 1)
						d.attrs = p.overflow
						u.ID = p.ident.Point(&mt, p.overflow, bounds)
						merge(&u, d, true) // the overflow series itself is always admitted
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
