// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// Export outcomes (attribute outcome of processor_tasker_cache_exports).
const (
	outcomeExported      = "exported"
	outcomeFailed        = "failed"
	outcomeSkippedLocked = "skipped_locked"
	outcomeSkippedDone   = "skipped_done"
	outcomeEmpty         = "empty"
)

// loop exports at every interval boundary (wall-clock aligned, so replicas try at the
// same moments and the lock picks one of them).
func (p *cacheProcessor) loop(ctx context.Context) {
	defer p.wg.Done()
	for {
		now := p.now()
		next := now.Truncate(p.cfg.Interval).Add(p.cfg.Interval)
		t := time.NewTimer(next.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		p.exportOnce(ctx, p.now(), false)
		if p.storage != nil {
			if err := p.save(ctx); err != nil {
				p.logger.Warn("tasker_cache: snapshot to storage failed", zap.Error(err))
			}
		}
	}
}

func (p *cacheProcessor) record(ctx context.Context, outcome string, start time.Time) {
	p.tel.ProcessorTaskerCacheExports.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", outcome)))
	if outcome == outcomeExported || outcome == outcomeFailed {
		p.tel.ProcessorTaskerCacheExportDuration.Record(ctx, time.Since(start).Seconds())
	}
	p.reportSync(outcome, start)
}

// exportOnce runs one interval's export: sweep expired series, take the export lock,
// skip if another replica already exported this interval, read the aggregate, send it
// downstream (retrying with backoff, extending the TTL of what it holds after each
// failure), then record the interval as exported. final is the shutdown export: it
// runs even if this interval was exported, and does not wait between retries.
func (p *cacheProcessor) exportOnce(ctx context.Context, now time.Time, final bool) {
	start := time.Now()
	interval := now.Truncate(p.cfg.Interval)
	bctx := context.WithoutCancel(ctx)
	// Everything before the snapshot (lock, waiting for replicas, a store just back)
	// shares one deadline; the shutdown export does not wait long.
	deadline := start.Add(p.exportWait())
	if final {
		deadline = start.Add(p.readyWait())
	}
	if p.distributed() {
		p.pruneKnown(now.UnixNano())
		// Points merged locally (apply_interval) and batches buffered during a backend
		// outage go in first (replay is idempotent: each batch keeps its id), retried
		// for a while; then this replica's readiness marker says so (see ready.go).
		p.settle(bctx, p.readyWait())
	}
	if removed, err := p.be.Expire(bctx, now); err != nil {
		p.tel.ProcessorTaskerCacheBackendErrors.Add(bctx, 1)
		p.logger.Warn("tasker_cache: expiring series failed", zap.Error(err))
	} else if removed > 0 {
		p.tel.ProcessorTaskerCacheSeriesExpired.Add(bctx, int64(removed))
		p.logger.Debug("tasker_cache: series expired", zap.Int("series", removed))
	}
	var (
		lease backend.Lease
		ok    bool
	)
	err := p.retryStore(bctx, deadline, func() (err error) {
		lease, ok, err = p.be.AcquireLock(bctx, p.instance, p.cfg.LockTimeout)
		return err
	})
	if err != nil {
		p.tel.ProcessorTaskerCacheBackendErrors.Add(bctx, 1)
		p.record(bctx, outcomeFailed, start)
		p.logger.Warn("tasker_cache: cannot take the export lock", zap.Error(err))
		return
	}
	if !ok {
		p.record(bctx, outcomeSkippedLocked, start)
		p.logger.Debug("tasker_cache: another replica holds the export lock; skipping this interval", zap.Time("interval", interval))
		return
	}
	// Keep the lease alive from here on: waiting for the replicas, exporting, retrying.
	lost, stopRenew := p.keepLease(bctx, lease)
	defer func() {
		stopRenew()
		// A lock left behind would make every replica skip the next interval.
		if err := p.retryStore(bctx, time.Now().Add(p.readyWait()), func() error { return lease.Release(bctx) }); err != nil {
			p.logger.Debug("tasker_cache: releasing the export lock", zap.Error(err))
		}
	}()
	if !final {
		var last int64
		if err := p.retryStore(bctx, deadline, func() (err error) {
			last, err = p.be.LastExported(bctx)
			return err
		}); err != nil {
			p.tel.ProcessorTaskerCacheBackendErrors.Add(bctx, 1)
			p.record(bctx, outcomeFailed, start)
			p.logger.Warn("tasker_cache: cannot read the last exported interval", zap.Error(err))
			return
		}
		if last >= interval.UnixNano() {
			p.record(bctx, outcomeSkippedDone, start)
			p.logger.Debug("tasker_cache: interval already exported by another replica", zap.Time("interval", interval))
			return
		}
	}
	if p.distributed() {
		p.waitForReplicas(bctx, interval.UnixNano(), start, deadline, lost)
	}
	select {
	case <-lost: // another replica took over while this one waited: it exports
		p.record(bctx, outcomeFailed, start)
		p.logger.Warn("tasker_cache: export lock lost while waiting for the replicas; another replica takes over")
		return
	default:
	}
	var (
		states  []series.State
		missing int
	)
	if err := p.retryStore(bctx, deadline, func() (err error) {
		states, missing, err = p.be.Snapshot(bctx, now)
		return err
	}); err != nil {
		p.tel.ProcessorTaskerCacheBackendErrors.Add(bctx, 1)
		p.record(bctx, outcomeFailed, start)
		p.logger.Warn("tasker_cache: cannot read the aggregate", zap.Error(err))
		return
	}
	if missing > 0 {
		if p.distributed() {
			p.redescribe()
		}
		p.logger.Warn("tasker_cache: series without descriptor skipped (the store lost it, or it expired); they are described again on their next update", zap.Int("series", missing))
	}
	p.series.Store(int64(len(states)))
	md := p.build(states, now, p.cfg.Temporality == TemporalityDelta)

	if md.DataPointCount() > 0 {
		retryUntil := interval.Add(p.cfg.Interval) // retry until the next interval takes over
		retry := p.newExportRetry()
		for attempt := 1; ; attempt++ {
			ectx, cancel := context.WithTimeout(bctx, p.cfg.ExportTimeout)
			err = p.next.ConsumeMetrics(ectx, md)
			cancel()
			if err == nil {
				break
			}
			wait, again := retry.next()
			// Nothing that this export held may expire before the retry.
			ids := make([]series.ID, len(states))
			for i := range states {
				ids[i] = states[i].ID
			}
			until := p.now().Add(wait + p.cfg.SafetyMargin)
			if terr := p.be.ExtendTTL(bctx, ids, until); terr != nil {
				p.tel.ProcessorTaskerCacheBackendErrors.Add(bctx, 1)
				p.logger.Warn("tasker_cache: extending the TTL after a failed export failed", zap.Error(terr))
			}
			if !again || final || ctx.Err() != nil || p.now().Add(wait).After(retryUntil) {
				p.record(bctx, outcomeFailed, start)
				p.logger.Warn("tasker_cache: export failed; the data stays in the aggregate (TTL extended) and goes out with the next export",
					zap.Error(err), zap.Int("attempts", attempt), zap.Int("series", len(states)))
				return
			}
			p.logger.Info("tasker_cache: export failed; retrying", zap.Error(err), zap.Int("attempt", attempt), zap.Duration("backoff", wait))
			select {
			case <-ctx.Done():
			case <-lost:
				p.record(bctx, outcomeFailed, start)
				p.logger.Warn("tasker_cache: export lock lost while retrying; another replica takes over")
				return
			case <-time.After(wait):
			}
		}
	} else if !final {
		p.record(bctx, outcomeEmpty, start)
	}
	// Recording the export is retried (fenced by the lease): if it were lost, the next
	// replica to take the lock would export this interval a second time.
	if err := p.retryStore(bctx, time.Now().Add(p.readyWait()), func() error {
		return p.be.MarkExported(bctx, lease, interval.UnixNano(), states)
	}); err != nil {
		p.tel.ProcessorTaskerCacheBackendErrors.Add(bctx, 1)
		p.logger.Warn("tasker_cache: recording the export failed", zap.Error(err))
	}
	if md.DataPointCount() > 0 {
		p.record(bctx, outcomeExported, start)
		p.logger.Debug("tasker_cache: exported", zap.Int("series", len(states)), zap.Int("points", md.DataPointCount()), zap.Int64("token", lease.Token()))
	}
}

// build turns the aggregate into metrics: series grouped back into their resources,
// scopes and metrics, with cumulative (or delta) values.
func (p *cacheProcessor) build(states []series.State, now time.Time, delta bool) pmetric.Metrics {
	md := pmetric.NewMetrics()
	type metricKey struct{ res, metric uint64 }
	resources := map[uint64]pmetric.ScopeMetrics{}
	metrics := map[metricKey]pmetric.Metric{}
	nowTS := pcommon.NewTimestampFromTime(now)
	for i := range states {
		s := &states[i]
		pt := s.Point
		if delta && s.Kind.Additive() {
			if s.Exported != nil && series.Equal(&s.Point, s.Exported) {
				continue // nothing new since the last export
			}
			pt = series.Sub(s.Kind, &s.Point, s.Exported)
			if s.Exported == nil {
				pt.Start = s.Point.Start
			}
		}
		resHash, metricHash, tmpl, err := s.Template() // kept pdata (read only: copied from), or the descriptor decoded
		if err != nil || tmpl.ResourceMetrics().Len() != 1 {
			p.logger.Warn("tasker_cache: undecodable series descriptor; series skipped", zap.String("series", s.ID.String()), zap.Error(err))
			continue
		}
		trm := tmpl.ResourceMetrics().At(0)
		tsm := trm.ScopeMetrics().At(0)
		tm := tsm.Metrics().At(0)
		sm, ok := resources[resHash]
		if !ok {
			rm := md.ResourceMetrics().AppendEmpty()
			trm.Resource().CopyTo(rm.Resource())
			sm = rm.ScopeMetrics().AppendEmpty()
			tsm.Scope().CopyTo(sm.Scope())
			resources[resHash] = sm
		}
		mk := metricKey{resHash, metricHash}
		m, ok := metrics[mk]
		if !ok {
			m = sm.Metrics().AppendEmpty()
			m.SetName(tm.Name())
			m.SetDescription(tm.Description())
			m.SetUnit(tm.Unit())
			switch tm.Type() {
			case pmetric.MetricTypeSum:
				sum := m.SetEmptySum()
				sum.SetIsMonotonic(tm.Sum().IsMonotonic())
				sum.SetAggregationTemporality(outTemporality(s.Kind, delta))
			case pmetric.MetricTypeGauge:
				m.SetEmptyGauge()
			case pmetric.MetricTypeHistogram:
				m.SetEmptyHistogram().SetAggregationTemporality(outTemporality(s.Kind, delta))
			case pmetric.MetricTypeExponentialHistogram:
				m.SetEmptyExponentialHistogram().SetAggregationTemporality(outTemporality(s.Kind, delta))
			}
			metrics[mk] = m
		}
		start, ts := pcommon.Timestamp(pt.Start), pcommon.Timestamp(pt.Time)
		if s.Kind.Additive() {
			ts = nowTS // the aggregate as of this export
			if !delta {
				if start == 0 {
					start = pcommon.Timestamp(s.FirstSeen)
				}
			}
		}
		switch tm.Type() {
		case pmetric.MetricTypeSum, pmetric.MetricTypeGauge:
			var src, dst pmetric.NumberDataPointSlice
			if tm.Type() == pmetric.MetricTypeSum {
				src, dst = tm.Sum().DataPoints(), m.Sum().DataPoints()
			} else {
				src, dst = tm.Gauge().DataPoints(), m.Gauge().DataPoints()
			}
			dp := dst.AppendEmpty()
			src.At(0).Attributes().CopyTo(dp.Attributes())
			dp.SetStartTimestamp(start)
			dp.SetTimestamp(ts)
			if pt.IsInt {
				dp.SetIntValue(pt.Int)
			} else {
				dp.SetDoubleValue(pt.Double)
			}
		case pmetric.MetricTypeHistogram:
			tdp := tm.Histogram().DataPoints().At(0)
			dp := m.Histogram().DataPoints().AppendEmpty()
			tdp.Attributes().CopyTo(dp.Attributes())
			tdp.ExplicitBounds().CopyTo(dp.ExplicitBounds())
			setHistogram(dp, &pt, start, ts)
			dp.BucketCounts().FromRaw(pt.Buckets)
		case pmetric.MetricTypeExponentialHistogram:
			tdp := tm.ExponentialHistogram().DataPoints().At(0)
			dp := m.ExponentialHistogram().DataPoints().AppendEmpty()
			tdp.Attributes().CopyTo(dp.Attributes())
			setHistogram(dp, &pt, start, ts)
			dp.SetScale(pt.Scale)
			dp.SetZeroCount(pt.ZeroCount)
			dp.Positive().SetOffset(pt.PosOffset)
			dp.Positive().BucketCounts().FromRaw(pt.Pos)
			dp.Negative().SetOffset(pt.NegOffset)
			dp.Negative().BucketCounts().FromRaw(pt.Neg)
		}
	}
	return md
}

func outTemporality(k series.Kind, delta bool) pmetric.AggregationTemporality {
	if delta && k.Additive() {
		return pmetric.AggregationTemporalityDelta
	}
	return pmetric.AggregationTemporalityCumulative
}

// histogramPoint is what explicit and exponential histogram data points share.
type histogramPoint interface {
	SetStartTimestamp(pcommon.Timestamp)
	SetTimestamp(pcommon.Timestamp)
	SetCount(uint64)
	SetSum(float64)
	SetMin(float64)
	SetMax(float64)
}

// setHistogram sets a histogram point's times, count, sum, min and max from pt.
func setHistogram[P histogramPoint](dp P, pt *series.Point, start, ts pcommon.Timestamp) {
	dp.SetStartTimestamp(start)
	dp.SetTimestamp(ts)
	dp.SetCount(pt.Count)
	dp.SetSum(pt.Sum)
	if pt.HasMin {
		dp.SetMin(pt.Min)
	}
	if pt.HasMax {
		dp.SetMax(pt.Max)
	}
}
