// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csv

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tasker-systems/otelcol-tasker/internal/flatten"
)

// options are the settings every encoder of one exporter shares (read-only).
type options struct {
	signal  string
	cols    []columnDef // configured columns (internal names)
	sep     rune
	crlf    bool
	escape  bool
	headers bool // include_headers

	// Metrics only.
	labels     bool // "labels" is configured
	flatten    bool // labels → label_<key> columns (flatten_labels and include_headers)
	extra      bool // trailing JSON "labels" for keys the header lacks (unknown_labels: json)
	histExtra  bool // histograms add count, sum and le_ columns (include_headers and "buckets" not configured)
	configured [numFields]bool

	namer   *labelNamer
	resCols []resCol // resource_columns (metrics)

	mapping map[string]string // internal name → header name
	reverse map[string]string // header name → internal name

	groupAttr string // group_by.resource_attribute, "" without group_by

	fixed *layout // the layout when it does not depend on the data (logs, spans, headerless metrics)
}

// resCol is one resource_columns attribute and its column name.
type resCol struct {
	key, name string
}

func newOptions(cfg *Options) (*options, error) {
	sep, err := separatorRune(cfg.Separator)
	if err != nil {
		return nil, err
	}
	signal := cfg.Signal
	o := &options{
		signal:    signal,
		sep:       sep,
		crlf:      cfg.CRLF,
		escape:    cfg.EscapeFormulas,
		headers:   cfg.IncludeHeaders,
		mapping:   map[string]string{},
		reverse:   map[string]string{},
		groupAttr: cfg.GroupBy,
	}
	for k, v := range cfg.FieldMapping {
		if v != "" {
			o.mapping[k] = v
			o.reverse[v] = k
		}
	}
	names := cfg.Columns
	defs := columnsFor(signal)
	for _, n := range names {
		f := lookupColumn(defs, n)
		o.cols = append(o.cols, columnDef{name: n, f: f})
		o.configured[f] = true
	}
	o.namer = &labelNamer{sql: !cfg.PrefixedLabelNames, reserved: map[string]bool{}}
	if signal == signalMetrics {
		for _, k := range cfg.ResourceColumns {
			o.resCols = append(o.resCols, resCol{key: k, name: sqlName(k)})
		}
		for _, n := range append(append(append([]string(nil), names...), "count", "sum", labelsName), resourceColumnNames(cfg.ResourceColumns)...) {
			o.namer.reserved[n] = true
			o.namer.reserved[o.headerName(n)] = true
		}
		o.labels = o.configured[fLabels]
		o.flatten = o.labels && cfg.FlattenLabels && o.headers
		o.extra = o.flatten && cfg.UnknownLabelsJSON
		o.histExtra = o.headers && !o.configured[fBuckets]
	}
	if signal != signalMetrics || !o.headers {
		o.fixed = o.buildLayout(nil, nil, aggNone)
	}
	return o, nil
}

func (o *options) newWriter() *csvWriter {
	return newCSVWriter(o.sep, o.crlf, o.escape)
}

func (o *options) headerName(internal string) string {
	if v, ok := o.mapping[internal]; ok {
		return v
	}
	return internal
}

// column is one column of a layout.
type column struct {
	f    field
	slot int // label or bucket slot for fLabel and fBucket
}

// layout is the column set of one file (and of the rows written to it).
type layout struct {
	cols   []column
	names  []string // header names
	header []byte   // encoded header line; nil without include_headers
	keys   []string // label keys with a label_ column, sorted
	bounds []float64
	agg    aggLevel
	extra  bool // has the trailing JSON "labels" column

	labelSlot map[string]int
	boundSlot map[float64]int
	has       [numFields]bool
}

// needs is what one batch (of one group) requires of a layout.
type needs struct {
	keys   []string // label keys (unsorted, unique)
	bounds []float64
	agg    aggLevel
}

// aggLevel says which aggregate columns the metric rows need (when include_headers is
// on and "buckets" is not configured).
type aggLevel uint8

const (
	aggNone    aggLevel = iota // number points only
	aggCount                   // exponential histograms or summaries: count and sum
	aggBuckets                 // explicit-bucket histograms: count, sum and le_ columns
)

// buildLayout returns the canonical layout for the given label keys and bucket bounds
// (both sorted, unique) and aggregate columns:
//
//	configured columns, "labels" replaced by label_<key> for every key (or by a
//	"labels" column: JSON without flattening, always empty when there is no key),
//	then for histograms, exponential histograms and summaries count and sum (unless
//	configured), for explicit-bucket histograms also le_<bound>... le_inf,
//	then, with unknown_labels: json, a trailing "labels" JSON column.
//
// Without include_headers the layout is fixed by the configuration: labels are one
// JSON column and histograms add count, sum and buckets (JSON) unless configured.
func (o *options) buildLayout(keys []string, bounds []float64, agg aggLevel) *layout {
	l := &layout{keys: keys, bounds: bounds, agg: agg}
	add := func(f field, internal string, slot int) {
		l.cols = append(l.cols, column{f: f, slot: slot})
		l.names = append(l.names, o.headerName(internal))
		l.has[f] = true
	}
	for _, c := range o.cols {
		if c.f != fLabels {
			add(c.f, c.name, 0)
			continue
		}
		switch {
		case !o.flatten:
			add(fLabelsJSON, labelsName, 0)
		case len(keys) > 0:
			l.labelSlot = make(map[string]int, len(keys))
			for i, k := range keys {
				l.labelSlot[k] = i
				add(fLabel, o.namer.header(k), i)
			}
		case !o.extra:
			add(fLabelsPlaceholder, labelsName, 0)
		}
	}
	if o.signal == signalMetrics {
		for i, rc := range o.resCols {
			add(fResourceAttr, rc.name, i)
		}
		switch {
		case !o.headers:
			if !o.configured[fCount] {
				add(fCount, "count", 0)
			}
			if !o.configured[fSum] {
				add(fSum, "sum", 0)
			}
			if !o.configured[fBuckets] {
				add(fBuckets, "buckets", 0)
			}
		case o.histExtra && agg > aggNone:
			if !o.configured[fCount] {
				add(fCount, "count", 0)
			}
			if !o.configured[fSum] {
				add(fSum, "sum", 0)
			}
			if agg < aggBuckets {
				break
			}
			l.boundSlot = make(map[float64]int, len(bounds))
			var name []byte
			for i, b := range bounds {
				l.boundSlot[b] = i
				name = flatten.AppendFloat(append(name[:0], bucketPrefix...), b)
				add(fBucket, string(name), i)
			}
			add(fBucketInf, bucketInfName, 0)
		}
		if o.extra {
			add(fLabelsExtra, labelsName, 0)
			l.extra = true
		}
	}
	if o.headers {
		l.header = o.newWriter().appendHeader(nil, l.names)
	}
	return l
}

// flatLabels reports whether rows need the per-row label slots.
func (l *layout) flatLabels() bool { return l.labelSlot != nil || l.extra }

// covers reports whether a file with layout l can take a batch with needs n.
func (o *options) covers(l *layout, n *needs) bool {
	if o.flatten && !o.extra {
		for _, k := range n.keys {
			if _, ok := l.labelSlot[k]; !ok {
				return false
			}
		}
	}
	if o.histExtra {
		if n.agg > l.agg {
			return false
		}
		for _, b := range n.bounds {
			if _, ok := l.boundSlot[b]; !ok {
				return false
			}
		}
	}
	return true
}

// same reports whether l is exactly the layout of needs n (per_export mode).
func (o *options) same(l *layout, n *needs) bool {
	if len(l.keys) != len(n.keys) || len(l.bounds) != len(n.bounds) || (o.histExtra && l.agg != n.agg) {
		return false
	}
	for _, k := range n.keys {
		if _, ok := l.labelSlot[k]; !ok {
			return false
		}
	}
	for _, b := range n.bounds {
		if _, ok := l.boundSlot[b]; !ok {
			return false
		}
	}
	return true
}

// layoutFor builds the canonical layout of n merged with l (l may be nil).
func (o *options) layoutFor(l *layout, n *needs) *layout {
	var keys []string
	var bounds []float64
	agg := n.agg
	if l != nil {
		keys = append(keys, l.keys...)
		bounds = append(bounds, l.bounds...)
		agg = max(agg, l.agg)
	}
	for _, k := range n.keys {
		keys = append(keys, strings.Clone(k))
	}
	bounds = append(bounds, n.bounds...)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	slices.Sort(bounds)
	bounds = slices.Compact(bounds)
	if !o.flatten {
		keys = nil
	}
	if len(bounds) > 0 {
		agg = aggBuckets
	}
	if agg == aggCount && o.configured[fCount] && o.configured[fSum] {
		agg = aggNone // nothing to add
	}
	if !o.histExtra {
		bounds, agg = nil, aggNone
	}
	return o.buildLayout(keys, bounds, agg)
}

// parseLayout reads a header line (from the current file, maybe written by an earlier
// run) back into a layout. It returns nil unless the header is exactly the canonical
// header this configuration would write for the columns it names, so a file written
// with other settings is never appended to with a different meaning.
func (o *options) parseLayout(header []byte) *layout {
	w := o.newWriter()
	names, n, err := parseRecord(header, w.sep)
	if err != nil || n != len(header) {
		return nil
	}
	var keys []string
	var bounds []float64
	agg := aggNone
	for _, name := range names {
		internal := name
		if v, ok := o.reverse[name]; ok {
			internal = v
		}
		switch {
		case internal == "count" && !o.configured[fCount], internal == "sum" && !o.configured[fSum]:
			agg = max(agg, aggCount)
		case internal == bucketInfName:
			agg = aggBuckets
		case strings.HasPrefix(internal, bucketPrefix):
			b, err := strconv.ParseFloat(internal[len(bucketPrefix):], 64)
			if err != nil || math.IsNaN(b) {
				return nil
			}
			bounds = append(bounds, b)
			agg = aggBuckets
		default:
			if ck, ok := o.namer.fromHeader(internal); ok {
				keys = append(keys, ck)
			}
		}
	}
	l := o.layoutFor(nil, &needs{keys: keys, bounds: bounds, agg: agg})
	if !bytes.Equal(l.header, header) {
		return nil
	}
	return l
}
