// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package series

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/cespare/xxhash/v2"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// refID is the identity as it was first written, one Digest.Write per length, key and
// value: the IDs persisted by the Redis and memcached backends. The Identifier must
// produce the same IDs.
type refID struct{ drop map[string]struct{} }

func (r refID) str(d *xxhash.Digest, s string) {
	_, _ = d.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(s))))
	_, _ = d.WriteString(s)
}

func (r refID) mapOf(d *xxhash.Digest, m pcommon.Map, drop map[string]struct{}) {
	var keys []string
	for k := range m.All() {
		if _, skip := drop[k]; !skip {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	_, _ = d.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(keys))))
	for _, k := range keys {
		r.str(d, k)
		v, _ := m.Get(k)
		r.value(d, v)
	}
}

func (r refID) value(d *xxhash.Digest, v pcommon.Value) {
	buf := []byte{byte(v.Type())}
	switch v.Type() {
	case pcommon.ValueTypeStr:
		_, _ = d.Write(buf)
		r.str(d, v.Str())
		return
	case pcommon.ValueTypeInt:
		buf = binary.LittleEndian.AppendUint64(buf, uint64(v.Int()))
	case pcommon.ValueTypeDouble:
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v.Double()))
	case pcommon.ValueTypeBool:
		buf = append(buf, boolByte(v.Bool()))
	case pcommon.ValueTypeBytes:
		_, _ = d.Write(buf)
		r.str(d, string(v.Bytes().AsRaw()))
		return
	case pcommon.ValueTypeSlice:
		_, _ = d.Write(binary.LittleEndian.AppendUint32(buf, uint32(v.Slice().Len())))
		for _, e := range v.Slice().All() {
			r.value(d, e)
		}
		return
	case pcommon.ValueTypeMap:
		_, _ = d.Write(buf)
		r.mapOf(d, v.Map(), nil)
		return
	}
	_, _ = d.Write(buf)
}

func (r refID) point(res pcommon.Resource, sc pcommon.InstrumentationScope, m pmetric.Metric, kind Kind, attrs pcommon.Map, bounds pcommon.Float64Slice) ID {
	var d xxhash.Digest
	d.Reset()
	r.mapOf(&d, res.Attributes(), nil)
	r.str(&d, sc.Name())
	r.str(&d, sc.Version())
	r.mapOf(&d, sc.Attributes(), nil)
	r.str(&d, m.Name())
	r.str(&d, m.Unit())
	mono := m.Type() == pmetric.MetricTypeSum && m.Sum().IsMonotonic()
	_, _ = d.Write([]byte{byte(m.Type()), byte(kind), boolByte(mono)})
	r.mapOf(&d, attrs, r.drop)
	if bounds.Len() > 0 {
		var buf []byte
		for _, b := range bounds.All() {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(b))
		}
		_, _ = d.Write(buf)
	}
	return ID(d.Sum64())
}

// randomValue fills v with a random value of any type, nesting up to depth.
func randomValue(r *rand.Rand, v pcommon.Value, depth int) {
	kinds := 5
	if depth > 0 {
		kinds = 7
	}
	switch r.IntN(kinds) {
	case 0:
		v.SetStr(strconv.Itoa(r.IntN(1000)))
	case 1:
		v.SetInt(r.Int64() - math.MaxInt64/2)
	case 2:
		v.SetDouble(r.NormFloat64())
	case 3:
		v.SetBool(r.IntN(2) == 0)
	case 4:
		v.SetEmptyBytes().FromRaw([]byte(strconv.Itoa(r.IntN(99))))
	case 5:
		s := v.SetEmptySlice()
		for range r.IntN(4) {
			randomValue(r, s.AppendEmpty(), depth-1)
		}
	default:
		randomMap(r, v.SetEmptyMap(), depth-1)
	}
}

func randomMap(r *rand.Rand, m pcommon.Map, depth int) {
	for range r.IntN(7) {
		randomValue(r, m.PutEmpty("k"+strconv.Itoa(r.IntN(9))), depth)
	}
}

// TestIdentityStream: the IDs of random points (every value type, nested maps and
// slices, attributes in any order, dropped attributes, histogram bounds) are the ones
// the piecewise reference computes, and do not depend on attribute order.
func TestIdentityStream(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	drop := []string{"k3", "k7"}
	id := NewIdentifier(nil, drop)
	ref := refID{drop: id.dropPoint}
	distinct := map[ID]struct{}{}
	for i := range 3000 {
		md := pmetric.NewMetrics()
		rm := md.ResourceMetrics().AppendEmpty()
		randomMap(r, rm.Resource().Attributes(), 1)
		sm := rm.ScopeMetrics().AppendEmpty()
		sm.Scope().SetName("scope" + strconv.Itoa(i%3))
		sm.Scope().SetVersion("v1")
		randomMap(r, sm.Scope().Attributes(), 0)
		m := sm.Metrics().AppendEmpty()
		m.SetName("m" + strconv.Itoa(i%5))
		kind := KindGauge
		attrs := m.SetEmptyGauge().DataPoints().AppendEmpty().Attributes()
		bounds := pcommon.NewFloat64Slice()
		if i%4 == 0 {
			kind = KindDeltaHistogram
			dp := m.SetEmptyHistogram().DataPoints().AppendEmpty()
			dp.ExplicitBounds().FromRaw([]float64{1, 2.5, float64(i)})
			attrs, bounds = dp.Attributes(), dp.ExplicitBounds()
		}
		randomMap(r, attrs, 2)
		s := id.Scope(rm.Resource(), sm.Scope())
		mt := id.Metric(&s, m, kind)
		got := id.Point(&mt, attrs, bounds)
		if want := ref.point(rm.Resource(), sm.Scope(), m, kind, attrs, bounds); got != want {
			t.Fatalf("point %d: ID %s, the reference computes %s (attributes %v)", i, got, want, attrs.AsRaw())
		}
		distinct[got] = struct{}{}
		// The same attributes in reverse order: the same ID.
		rev := pcommon.NewMap()
		raw := attrs.AsRaw()
		keys := make([]string, 0, len(raw))
		for k := range raw {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range slices.Backward(keys) {
			v, _ := attrs.Get(k)
			v.CopyTo(rev.PutEmpty(k))
		}
		if again := id.Point(&mt, rev, bounds); again != got {
			t.Fatalf("point %d: ID %s with the attributes reversed, %s in order", i, again, got)
		}
	}
	if len(distinct) < 2000 {
		t.Fatalf("only %d distinct IDs for 3000 random points: the test data is too uniform", len(distinct))
	}
}
