// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csv

import (
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/internal/flatten"
)

// The label and bucket cells of a metric row (see encodeMetrics).

// fillLabels stores this row's label values in their slots; with a trailing JSON
// column, labels without a column are kept for it.
//
// Like scanAttrs it remembers the key (and its slot) seen at each position, so rows
// whose keys come in the same order as the previous row's skip the map lookups.
func (e *encoder) fillLabels(l *layout, attrs pcommon.Map) {
	e.extras, e.extraKeys = e.extras[:0], e.extraKeys[:0]
	i := 0
	for k, v := range attrs.All() {
		if v.Type() == pcommon.ValueTypeMap {
			flatten.Visit(v.Map(), k+labelSeparator, labelSeparator, e.visitFn)
			i++
			continue
		}
		var ks keySlot
		if i < len(e.fillSeen) && e.fillSeen[i].key == k {
			ks = e.fillSeen[i]
		} else {
			ks.key = k
			ks.slot, ks.ok = l.labelSlot[e.keys.get(k)]
			if i < len(e.fillSeen) {
				e.fillSeen[i] = ks
			} else {
				e.fillSeen = append(e.fillSeen, ks)
			}
		}
		i++
		if ks.ok && e.slotGen[ks.slot] != e.gen {
			e.slotVal[ks.slot], e.slotGen[ks.slot] = v, e.gen
		} else if l.extra {
			e.extras = append(e.extras, extraLabel{key: k, v: v})
		}
	}
}

// keySlot is a label key and its slot in the current layout (ok false: no column).
type keySlot struct {
	key  string
	slot int
	ok   bool
}

func (e *encoder) visitLabel(key []byte, v pcommon.Value) {
	if s, ok := e.l.labelSlot[e.keys.getBytes(key)]; ok && e.slotGen[s] != e.gen {
		e.slotVal[s], e.slotGen[s] = v, e.gen
	} else if e.l.extra {
		from := len(e.extraKeys)
		e.extraKeys = append(e.extraKeys, key...)
		e.extras = append(e.extras, extraLabel{from: from, to: len(e.extraKeys), v: v})
	}
}

func (e *encoder) extraJSON() {
	if len(e.extras) == 0 {
		return
	}
	start := len(e.buf)
	e.buf = append(e.buf, '{')
	for i, x := range e.extras {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		if x.key != "" || x.to == x.from {
			e.buf = flatten.AppendJSONString(e.buf, x.key)
		} else {
			e.buf = flatten.AppendJSONStringBytes(e.buf, e.extraKeys[x.from:x.to])
		}
		e.buf = append(e.buf, ':')
		e.buf = flatten.AppendJSONValue(e.buf, x.v)
	}
	e.buf = append(e.buf, '}')
	e.buf = e.w.finish(e.buf, start, true)
}

// fillBuckets stores the cumulative count of every bucket of dp whose bound has a
// column (Prometheus and Tasker semantics: le_<b> counts the observations <= b).
func (e *encoder) fillBuckets(l *layout, dp pmetric.HistogramDataPoint) {
	bounds, counts := dp.ExplicitBounds(), dp.BucketCounts()
	lb := l.bounds
	var cum uint64
	j := 0
	for i := 0; i < bounds.Len() && i < counts.Len(); i++ {
		cum += counts.At(i)
		b := bounds.At(i)
		for j < len(lb) && lb[j] < b {
			j++
		}
		s := -1
		if j < len(lb) && lb[j] == b {
			s = j
		} else if v, ok := l.boundSlot[b]; ok { // bounds out of order
			s = v
		}
		if s >= 0 {
			e.bucketCum[s], e.bucketGen[s] = cum, e.gen
		}
	}
}

// infBucket returns the count of all buckets (le_inf), when the buckets are complete.
func infBucket(dp pmetric.HistogramDataPoint) (uint64, bool) {
	counts := dp.BucketCounts()
	if counts.Len() == 0 || counts.Len() != dp.ExplicitBounds().Len()+1 {
		return 0, false
	}
	var total uint64
	for i := 0; i < counts.Len(); i++ {
		total += counts.At(i)
	}
	return total, true
}

// appendBuckets appends the buckets as a JSON object from upper bound to cumulative
// count, the last bound being "+Inf".
func appendBuckets(b []byte, bounds pcommon.Float64Slice, counts pcommon.UInt64Slice) []byte {
	b = append(b, '{')
	var cum uint64
	for i := 0; i < counts.Len() && i <= bounds.Len(); i++ {
		cum += counts.At(i)
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		if i < bounds.Len() {
			b = flatten.AppendFloat(b, bounds.At(i))
		} else {
			b = append(b, "+Inf"...)
		}
		b = append(b, '"', ':')
		b = strconv.AppendUint(b, cum, 10)
	}
	return append(b, '}')
}
