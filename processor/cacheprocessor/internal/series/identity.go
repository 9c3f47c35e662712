// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package series

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strings"

	"github.com/cespare/xxhash/v2"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// Identifier computes series identities. Attributes are hashed in sorted key order with
// typed values, so the same series gets the same ID whatever the order of its attributes,
// on every replica. Not safe for concurrent use.
type Identifier struct {
	dropResource map[string]struct{}
	dropPoint    map[string]struct{}
	attrs        []attr // appendMap's stack of sorted attributes
	buf          []byte
}

// NewIdentifier drops the named resource and data point attributes from identities
// (and from the series descriptors), rolling the series that differ only in them into one.
func NewIdentifier(dropResource, dropPoint []string) *Identifier {
	id := &Identifier{dropResource: map[string]struct{}{}, dropPoint: map[string]struct{}{}}
	for _, k := range dropResource {
		id.dropResource[k] = struct{}{}
	}
	for _, k := range dropPoint {
		id.dropPoint[k] = struct{}{}
	}
	return id
}

// Scope is the identity state of a (resource, scope) pair: hash it once, then derive
// metric and point identities from it.
type Scope struct {
	d       xxhash.Digest
	ResHash uint64 // groups series of one resource+scope at export
}

// Metric is the identity state of a metric within a scope.
type Metric struct {
	d          xxhash.Digest
	MetricHash uint64
	Kind       Kind
}

// Scope starts the identity of a resource and scope.
func (id *Identifier) Scope(res pcommon.Resource, scope pcommon.InstrumentationScope) Scope {
	var s Scope
	s.d.Reset()
	id.writeMap(&s.d, res.Attributes(), id.dropResource)
	id.writeString(&s.d, scope.Name())
	id.writeString(&s.d, scope.Version())
	id.writeMap(&s.d, scope.Attributes(), nil)
	s.ResHash = s.d.Sum64()
	return s
}

// KindOf returns the merge kind of m, and false for types that are not aggregated
// (summaries, empty metrics), which pass through.
func KindOf(m pmetric.Metric) (Kind, bool) {
	switch m.Type() {
	case pmetric.MetricTypeSum:
		if m.Sum().AggregationTemporality() == pmetric.AggregationTemporalityDelta {
			return KindDeltaSum, true
		}
		return KindCumulativeSum, true
	case pmetric.MetricTypeGauge:
		return KindGauge, true
	case pmetric.MetricTypeHistogram:
		if m.Histogram().AggregationTemporality() == pmetric.AggregationTemporalityDelta {
			return KindDeltaHistogram, true
		}
		return KindCumulativeHistogram, true
	case pmetric.MetricTypeExponentialHistogram:
		if m.ExponentialHistogram().AggregationTemporality() == pmetric.AggregationTemporalityDelta {
			return KindDeltaExpHistogram, true
		}
		return KindCumulativeExpHistogram, true
	}
	return 0, false
}

// Metric continues s with a metric's name, unit, type, temporality and monotonicity.
func (id *Identifier) Metric(s *Scope, m pmetric.Metric, kind Kind) Metric {
	mt := Metric{d: s.d, Kind: kind}
	id.writeString(&mt.d, m.Name())
	id.writeString(&mt.d, m.Unit())
	monotonic := m.Type() == pmetric.MetricTypeSum && m.Sum().IsMonotonic()
	id.buf = append(id.buf[:0], byte(m.Type()), byte(kind), boolByte(monotonic))
	_, _ = mt.d.Write(id.buf)
	mt.MetricHash = mt.d.Sum64()
	return mt
}

// Point returns the ID of a data point with attributes attrs (and explicit bounds for
// histograms: different bounds make a different series).
func (id *Identifier) Point(m *Metric, attrs pcommon.Map, bounds pcommon.Float64Slice) ID {
	d := m.d
	buf := id.appendMap(id.buf[:0], attrs, id.dropPoint)
	for _, b := range bounds.All() {
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(b))
	}
	id.buf = buf
	_, _ = d.Write(buf)
	return ID(d.Sum64())
}

// PointWithoutBounds is the ID a histogram point would have if bounds were not part of
// the identity: used to notice one series arriving with different bounds.
func (id *Identifier) PointWithoutBounds(m *Metric, attrs pcommon.Map) ID {
	d := m.d
	id.writeMap(&d, attrs, id.dropPoint)
	return ID(d.Sum64())
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// The hash input is one byte stream, appended to id.buf and written to the digest once
// per map (xxhash's per-Write overhead dominated when every length, key and value was a
// Write of its own). The stream, and so every series ID, is the same as when it was
// written piecewise: IDs persisted in Redis or memcached stay valid.

func (id *Identifier) writeString(d *xxhash.Digest, s string) {
	id.buf = appendString(id.buf[:0], s)
	_, _ = d.Write(id.buf)
}

// writeMap hashes m in sorted key order, skipping drop.
func (id *Identifier) writeMap(d *xxhash.Digest, m pcommon.Map, drop map[string]struct{}) {
	id.buf = id.appendMap(id.buf[:0], m, drop)
	_, _ = d.Write(id.buf)
}

func appendString(buf []byte, s string) []byte {
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(s)))
	return append(buf, s...)
}

// attr is one attribute of a map being hashed.
type attr struct {
	k string
	v pcommon.Value
}

// appendMap appends m's hash input: the number of attributes kept, then each key and
// typed value in sorted key order (pcommon.Map keys are unique).
func (id *Identifier) appendMap(buf []byte, m pcommon.Map, drop map[string]struct{}) []byte {
	start := len(id.attrs)
	for k, v := range m.All() {
		if _, skip := drop[k]; !skip {
			id.attrs = append(id.attrs, attr{k, v})
		}
	}
	attrs := id.attrs[start:]
	if !slices.IsSortedFunc(attrs, cmpAttr) {
		slices.SortFunc(attrs, cmpAttr)
	}
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(attrs)))
	for i := range attrs {
		buf = appendString(buf, attrs[i].k)
		buf = id.appendValue(buf, attrs[i].v)
	}
	clear(id.attrs[start:]) // drop the references to m
	id.attrs = id.attrs[:start]
	return buf
}

func cmpAttr(a, b attr) int { return strings.Compare(a.k, b.k) }

func (id *Identifier) appendValue(buf []byte, v pcommon.Value) []byte {
	buf = append(buf, byte(v.Type()))
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return appendString(buf, v.Str())
	case pcommon.ValueTypeInt:
		return binary.LittleEndian.AppendUint64(buf, uint64(v.Int()))
	case pcommon.ValueTypeDouble:
		return binary.LittleEndian.AppendUint64(buf, math.Float64bits(v.Double()))
	case pcommon.ValueTypeBool:
		return append(buf, boolByte(v.Bool()))
	case pcommon.ValueTypeBytes:
		return appendString(buf, string(v.Bytes().AsRaw()))
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		buf = binary.LittleEndian.AppendUint32(buf, uint32(s.Len()))
		for _, e := range s.All() {
			buf = id.appendValue(buf, e)
		}
		return buf
	case pcommon.ValueTypeMap:
		return id.appendMap(buf, v.Map(), nil)
	}
	return buf
}

// Descriptor layout: resource+scope hash (8 bytes), metric hash (8), then a protobuf
// pmetric.Metrics holding the resource, scope, metric (name, description, unit, type,
// temporality, monotonicity) and one data point with its attributes (and bounds) but no
// value. The hashes let the exporter group series back into resources and metrics.
const descHeader = 16

// Descriptor builds the descriptor of a series from its resource, scope, metric and
// point attributes (dropped attributes removed): its Template, encoded.
func (id *Identifier) Descriptor(s *Scope, m *Metric, res pcommon.Resource, scope pcommon.InstrumentationScope, metric pmetric.Metric, attrs pcommon.Map, bounds pcommon.Float64Slice) ([]byte, error) {
	t, err := id.Template(s, m, res, scope, metric, attrs, bounds)
	if err != nil {
		return nil, err
	}
	return t.Encode()
}

// Template builds what a descriptor holds, as pdata (the memory backend keeps it so,
// and never encodes it on the hot path).
func (id *Identifier) Template(s *Scope, m *Metric, res pcommon.Resource, scope pcommon.InstrumentationScope, metric pmetric.Metric, attrs pcommon.Map, bounds pcommon.Float64Slice) (*Template, error) {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	copyWithout(res.Attributes(), rm.Resource().Attributes(), id.dropResource)
	sm := rm.ScopeMetrics().AppendEmpty()
	scope.CopyTo(sm.Scope())
	om := sm.Metrics().AppendEmpty()
	om.SetName(metric.Name())
	om.SetDescription(metric.Description())
	om.SetUnit(metric.Unit())
	var pointAttrs pcommon.Map
	switch m.Kind {
	case KindDeltaSum, KindCumulativeSum:
		sum := om.SetEmptySum()
		sum.SetIsMonotonic(metric.Sum().IsMonotonic())
		sum.SetAggregationTemporality(metric.Sum().AggregationTemporality())
		pointAttrs = sum.DataPoints().AppendEmpty().Attributes()
	case KindGauge:
		pointAttrs = om.SetEmptyGauge().DataPoints().AppendEmpty().Attributes()
	case KindDeltaHistogram, KindCumulativeHistogram:
		h := om.SetEmptyHistogram()
		h.SetAggregationTemporality(metric.Histogram().AggregationTemporality())
		dp := h.DataPoints().AppendEmpty()
		bounds.CopyTo(dp.ExplicitBounds())
		pointAttrs = dp.Attributes()
	case KindDeltaExpHistogram, KindCumulativeExpHistogram:
		h := om.SetEmptyExponentialHistogram()
		h.SetAggregationTemporality(metric.ExponentialHistogram().AggregationTemporality())
		pointAttrs = h.DataPoints().AppendEmpty().Attributes()
	default:
		return nil, errors.New("series: kind not aggregated")
	}
	copyWithout(attrs, pointAttrs, id.dropPoint)
	return &Template{ResHash: s.ResHash, MetricHash: m.MetricHash, MD: md}, nil
}

func copyWithout(src, dst pcommon.Map, drop map[string]struct{}) {
	dst.EnsureCapacity(src.Len())
	for k, v := range src.All() {
		if _, skip := drop[k]; skip {
			continue
		}
		v.CopyTo(dst.PutEmpty(k))
	}
}

// DescHashes returns the resource+scope and metric hashes of a descriptor.
func DescHashes(desc []byte) (res, metric uint64, err error) {
	if len(desc) < descHeader {
		return 0, 0, errors.New("series: descriptor too short")
	}
	return binary.LittleEndian.Uint64(desc[0:]), binary.LittleEndian.Uint64(desc[8:]), nil
}
