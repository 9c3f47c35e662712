// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package promtext

import (
	"bufio"
	"context"
	"io"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// EncodeExpfmt writes md as Encode does, but through client_model families and
// prometheus/common/expfmt (MetricFamilyToText, or MetricFamilyToOpenMetrics and
// FinalizeOpenMetrics when openMetrics): the library path the direct writer is tested
// against (same bytes) and measured against (bench). Items, Dropped and DroppedByReason
// are those of Encode; Bytes counts what expfmt wrote.
func (e *Encoder) EncodeExpfmt(ctx context.Context, md pmetric.Metrics, w io.Writer, openMetrics bool) (taskerregistry.Result, error) {
	st := e.pool.Get().(*convState) // the same reused state as Encode: only the writing differs
	defer func() {
		st.reset()
		e.pool.Put(st)
	}()
	st.enc = e
	st.convert(md)
	res := st.result()
	if openMetrics {
		res.ContentType = OpenMetricsContentType
	}
	bw := bufio.NewWriter(w)
	for _, f := range st.families() {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		var n int
		var err error
		if openMetrics {
			n, err = expfmt.MetricFamilyToOpenMetrics(bw, f)
		} else {
			n, err = expfmt.MetricFamilyToText(bw, f)
		}
		res.Bytes += int64(n)
		if err != nil {
			return res, err
		}
	}
	if openMetrics {
		n, err := expfmt.FinalizeOpenMetrics(bw)
		res.Bytes += int64(n)
		if err != nil {
			return res, err
		}
	}
	return res, bw.Flush()
}

// chunk hands out slices of a few large allocations, so that building the families
// allocates per chunk, not per field. Elements are never moved once handed out.
type chunk[T any] struct{ buf []T }

func (c *chunk[T]) take(n int) []T {
	if len(c.buf) < n {
		c.buf = make([]T, max(n, 1024))
	}
	s := c.buf[:n:n]
	c.buf = c.buf[n:]
	return s
}

func (c *chunk[T]) one() *T { return &c.take(1)[0] }

// slabs of one encoding.
type slabs struct {
	metrics    chunk[dto.Metric]
	metricPtrs chunk[*dto.Metric]
	pairs      chunk[dto.LabelPair]
	pairPtrs   chunk[*dto.LabelPair]
	strs       chunk[string]
	floats     chunk[float64]
	uints      chunk[uint64]
	gauges     chunk[dto.Gauge]
	counters   chunk[dto.Counter]
	hists      chunk[dto.Histogram]
	buckets    chunk[dto.Bucket]
	bucketPtrs chunk[*dto.Bucket]
	summaries  chunk[dto.Summary]
	quantiles  chunk[dto.Quantile]
	qPtrs      chunk[*dto.Quantile]
	typeVals   [famSummary + 1]dto.MetricType
}

func newSlabs() *slabs {
	s := &slabs{}
	s.typeVals[famGauge], s.typeVals[famCounter] = dto.MetricType_GAUGE, dto.MetricType_COUNTER
	s.typeVals[famHistogram], s.typeVals[famSummary] = dto.MetricType_HISTOGRAM, dto.MetricType_SUMMARY
	return s
}

func (s *slabs) float(v float64) *float64 {
	p := s.floats.one()
	*p = v
	return p
}

func (s *slabs) uint(v uint64) *uint64 {
	p := s.uints.one()
	*p = v
	return p
}

func (s *slabs) str(v string) *string {
	p := s.strs.one()
	*p = v
	return p
}

func (s *slabs) labelPairs(ls []label) []*dto.LabelPair {
	pairs, ptrs := s.pairs.take(len(ls)), s.pairPtrs.take(len(ls))
	strs := s.strs.take(2 * len(ls))
	for i, l := range ls {
		strs[2*i], strs[2*i+1] = l.name, l.value
		pairs[i].Name, pairs[i].Value = &strs[2*i], &strs[2*i+1]
		ptrs[i] = &pairs[i]
	}
	return ptrs
}

// families builds, from a laid-out convState, the client_model families expfmt writes:
// the oracle of the writer (TestWriterMatchesExpfmt) and the expfmt side of the benchmark.
func (st *convState) families() []*dto.MetricFamily {
	s := newSlabs()
	out := make([]*dto.MetricFamily, 0, len(st.order))
	for _, fi := range st.order {
		f := &st.fams[fi]
		var ms []*dto.Metric
		if fi == st.infoFam {
			for _, ls := range st.info {
				m := s.metrics.one()
				m.Label = s.labelPairs(ls)
				m.Gauge = &dto.Gauge{Value: s.float(1)}
				ms = append(ms, m)
			}
		} else {
			ms = s.metricPtrs.take(st.famOff[fi+1] - st.famOff[fi])
			for k, pi := range st.famPts[st.famOff[fi]:st.famOff[fi+1]] {
				ms[k] = st.metric(s, &st.pts[pi])
			}
		}
		help := f.help
		if help == "" {
			help = defaultHelp(f)
		}
		out = append(out, &dto.MetricFamily{Name: s.str(f.name), Help: s.str(help), Type: &s.typeVals[f.typ], Metric: ms})
	}
	return out
}

func (st *convState) metric(s *slabs, p *point) *dto.Metric {
	m := s.metrics.one()
	m.Label = s.labelPairs(st.labelsOf(p))
	i := int(p.i)
	switch f := &st.fams[p.fam]; f.typ {
	case famGauge, famCounter:
		v := NumberValue(p.m, i)
		if f.typ == famCounter {
			c := s.counters.one()
			c.Value = s.float(v)
			m.Counter = c
		} else {
			g := s.gauges.one()
			g.Value = s.float(v)
			m.Gauge = g
		}
	case famHistogram:
		dp := p.m.Histogram().DataPoints().At(i)
		h := s.hists.one()
		h.SampleCount, h.SampleSum = s.uint(dp.Count()), s.float(dp.Sum())
		if counts := dp.BucketCounts(); counts.Len() > 0 {
			bounds := dp.ExplicitBounds()
			bs, ptrs := s.buckets.take(bounds.Len()), s.bucketPtrs.take(bounds.Len())
			ups, cums := s.floats.take(bounds.Len()), s.uints.take(bounds.Len())
			var cum uint64
			for b := range bs {
				cum += counts.At(b)
				ups[b], cums[b] = bounds.At(b), cum
				bs[b].UpperBound, bs[b].CumulativeCount = &ups[b], &cums[b]
				ptrs[b] = &bs[b]
			}
			h.Bucket = ptrs
		}
		m.Histogram = h
	case famSummary:
		dp := p.m.Summary().DataPoints().At(i)
		sm := s.summaries.one()
		sm.SampleCount, sm.SampleSum = s.uint(dp.Count()), s.float(dp.Sum())
		qs := dp.QuantileValues()
		q, ptrs := s.quantiles.take(qs.Len()), s.qPtrs.take(qs.Len())
		vals := s.floats.take(2 * qs.Len())
		for k := range q {
			vals[2*k], vals[2*k+1] = qs.At(k).Quantile(), qs.At(k).Value()
			q[k].Quantile, q[k].Value = &vals[2*k], &vals[2*k+1]
			ptrs[k] = &q[k]
		}
		sm.Quantile = ptrs
		m.Summary = sm
	}
	return m
}
