// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/maphash"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// The built-in prometheus plugin.
const (
	PrometheusPluginName  = "prometheus"
	FormatPrometheus      = "prometheus"
	PrometheusContentType = "text/plain; version=0.0.4; charset=utf-8"
	PrometheusExtension   = "prom"
)

// PrometheusOptions configure the Prometheus text encoder. The zero value is the default.
type PrometheusOptions struct {
	// NoJobInstanceLabels leaves out the job and instance labels taken from the resource
	// (job = service.namespace/service.name or service.name, instance = service.instance.id).
	NoJobInstanceLabels bool
	// ResourceAttributes are resource attributes copied to every series of the resource as
	// labels (sanitised names), e.g. host.name → host_name.
	ResourceAttributes []string
}

// PrometheusEncoder encodes pmetric.Metrics in the Prometheus text exposition format
// 0.0.4. It is the Encoder of the built-in prometheus plugin and can be used on its own;
// it is safe for concurrent use.
//
// Mapping (see the README for the full table): gauges → gauge; cumulative monotonic sums
// → counter named <name>_total; non-monotonic sums → gauge; delta monotonic sums → gauge
// holding the last interval's value; cumulative histograms → histogram with cumulative
// <name>_bucket{le=…} (le="+Inf" = count), <name>_sum, <name>_count; summaries → summary
// with quantile labels. Delta histograms and exponential histograms have no faithful
// text form and are dropped (counted in Result.Dropped), as are points flagged
// no-recorded-value, a metric whose family name is taken by a metric of another type,
// and a series repeated in a family. Families are written in name order, HELP and TYPE
// once each; no timestamps are written.
type PrometheusEncoder struct {
	jobInstance bool
	resAttrs    []resAttr
	pool        sync.Pool
	seed        maphash.Seed
}

type resAttr struct{ key, label string }

var _ Encoder = (*PrometheusEncoder)(nil)

// NewPrometheusEncoder makes an encoder.
func NewPrometheusEncoder(opts PrometheusOptions) *PrometheusEncoder {
	e := &PrometheusEncoder{jobInstance: !opts.NoJobInstanceLabels, seed: maphash.MakeSeed()}
	seen := map[string]bool{}
	for _, k := range opts.ResourceAttributes {
		if k == "" || seen[k] {
			continue
		}
		seen[k] = true
		e.resAttrs = append(e.resAttrs, resAttr{key: k, label: SanitizeLabelName(k)})
	}
	e.pool.New = func() any { return newPromState() }
	return e
}

// MediaType implements Encoder.
func (e *PrometheusEncoder) MediaType(string) MediaType {
	return MediaType{ContentType: PrometheusContentType, FileExtension: PrometheusExtension}
}

// Encode implements Encoder. The format argument is ignored.
func (e *PrometheusEncoder) Encode(ctx context.Context, _ string, md pmetric.Metrics, w io.Writer) (Result, error) {
	st := e.pool.Get().(*promState)
	st.enc, st.w = e, w
	defer func() {
		st.reset()
		e.pool.Put(st)
	}()
	st.collect(md)
	if err := st.writeAll(ctx); err != nil {
		return Result{Items: st.items, Bytes: st.written, Dropped: st.dropped}, err
	}
	return Result{Items: st.items, Bytes: st.written, Dropped: st.dropped}, nil
}

// ---- names ----

// SanitizeMetricName makes s a valid Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)
// the way Prometheus does: every invalid character becomes "_", and a leading digit gets
// a "_" prefix. It returns s itself when s is valid.
func SanitizeMetricName(s string) string { return sanitizeName(s, true) }

// SanitizeLabelName makes s a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*): every
// invalid character becomes "_", a leading digit gets a "_" prefix.
func SanitizeLabelName(s string) string { return sanitizeName(s, false) }

func nameChar(c byte, colon bool) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || colon && c == ':'
}

func sanitizeName(s string, colon bool) string {
	if s == "" {
		return "_"
	}
	valid := !(s[0] >= '0' && s[0] <= '9')
	for i := 0; valid && i < len(s); i++ {
		valid = nameChar(s[i], colon)
	}
	if valid {
		return s
	}
	b := make([]byte, 0, len(s)+1)
	if s[0] >= '0' && s[0] <= '9' {
		b = append(b, '_')
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if nameChar(c, colon) {
				b = append(b, c)
			} else {
				b = append(b, '_')
			}
			i++
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		b = append(b, '_')
		i += size
	}
	return string(b)
}

// ---- encoder state ----

const (
	famGauge = iota + 1
	famCounter
	famHistogram
	famSummary
)

var infBytes = []byte("+Inf")

var typeNames = [...]string{famGauge: "gauge", famCounter: "counter", famHistogram: "histogram", famSummary: "summary"}

type member struct {
	m   pmetric.Metric
	res int // index in promState.res
}

type family struct {
	name    string
	typ     int
	help    string // first non-empty description
	rawName string // first metric's name, for the default HELP
	members []member
	dropped bool
}

type label struct {
	name, value, key string
}

type nameKey struct {
	name    string
	counter bool
}

type promState struct {
	enc *PrometheusEncoder
	w   io.Writer

	fams    []family
	famIdx  map[string]int
	order   []int
	res     [][]label
	labels  []label
	lbuf    []byte // rendered labels of the current series
	out     []byte
	scratch []byte

	names  map[nameKey]string // metric name → family name
	lnames map[string]string  // attribute key → label name

	seen  map[uint64]int // series hash → offset in arena
	arena []byte         // rendered label sets of the current family

	leBounds []float64 // bounds last formatted
	leText   []byte    // their le values, concatenated
	leOff    []int     // offsets in leText

	items, dropped int
	written        int64
	err            error
}

func newPromState() *promState {
	return &promState{
		famIdx: make(map[string]int),
		names:  make(map[nameKey]string),
		lnames: make(map[string]string),
		seen:   make(map[uint64]int),
		out:    make([]byte, 0, 64<<10),
	}
}

const (
	flushAt      = 60 << 10
	maxCacheSize = 1 << 14
	maxKeepBytes = 4 << 20
)

func (st *promState) reset() {
	for i := range st.fams {
		st.fams[i].members = st.fams[i].members[:0]
		st.fams[i] = family{members: st.fams[i].members}
	}
	st.fams = st.fams[:0]
	clear(st.famIdx)
	st.order = st.order[:0]
	for i := range st.res {
		st.res[i] = st.res[i][:0]
	}
	st.res = st.res[:0]
	st.labels = st.labels[:0]
	st.lbuf = st.lbuf[:0]
	st.out = st.out[:0]
	clear(st.seen)
	st.arena = st.arena[:0]
	if cap(st.arena) > maxKeepBytes {
		st.arena = nil
	}
	if len(st.names) > maxCacheSize {
		clear(st.names)
	}
	if len(st.lnames) > maxCacheSize {
		clear(st.lnames)
	}
	st.items, st.dropped, st.written, st.err = 0, 0, 0, nil
	st.enc, st.w = nil, nil
}

func (st *promState) familyName(name string, counter bool) string {
	k := nameKey{name, counter}
	if n, ok := st.names[k]; ok {
		return n
	}
	n := SanitizeMetricName(name)
	if counter && !strings.HasSuffix(n, "_total") {
		n += "_total"
	}
	st.names[nameKey{strings.Clone(name), counter}] = n
	return n
}

func (st *promState) labelName(key string) string {
	if n, ok := st.lnames[key]; ok {
		return n
	}
	n := SanitizeLabelName(key)
	st.lnames[strings.Clone(key)] = n
	return n
}

// resourceLabels computes the labels of a resource and returns their index.
func (st *promState) resourceLabels(res pcommon.Resource) int {
	idx := len(st.res)
	if idx < cap(st.res) {
		st.res = st.res[:idx+1]
	} else {
		st.res = append(st.res, nil)
	}
	ls := st.res[idx][:0]
	attrs := res.Attributes()
	if st.enc.jobInstance {
		if v, ok := attrs.Get("service.name"); ok && v.AsString() != "" {
			job := v.AsString()
			if ns, ok := attrs.Get("service.namespace"); ok && ns.AsString() != "" {
				job = ns.AsString() + "/" + job
			}
			ls = append(ls, label{name: "job", value: job, key: "service.name"})
		}
		if v, ok := attrs.Get("service.instance.id"); ok && v.AsString() != "" {
			ls = append(ls, label{name: "instance", value: v.AsString(), key: "service.instance.id"})
		}
	}
	for _, ra := range st.enc.resAttrs {
		if v, ok := attrs.Get(ra.key); ok && v.AsString() != "" {
			ls = append(ls, label{name: ra.label, value: v.AsString(), key: ra.key})
		}
	}
	st.res[idx] = ls
	return idx
}

func pointCount(m pmetric.Metric) int {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		return m.Gauge().DataPoints().Len()
	case pmetric.MetricTypeSum:
		return m.Sum().DataPoints().Len()
	case pmetric.MetricTypeHistogram:
		return m.Histogram().DataPoints().Len()
	case pmetric.MetricTypeExponentialHistogram:
		return m.ExponentialHistogram().DataPoints().Len()
	case pmetric.MetricTypeSummary:
		return m.Summary().DataPoints().Len()
	}
	return 0
}

// collect groups the metrics into families.
func (st *promState) collect(md pmetric.Metrics) {
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		res := -1
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				typ := 0
				switch m.Type() {
				case pmetric.MetricTypeGauge:
					typ = famGauge
				case pmetric.MetricTypeSum:
					s := m.Sum()
					typ = famGauge
					if s.IsMonotonic() && s.AggregationTemporality() == pmetric.AggregationTemporalityCumulative {
						typ = famCounter
					}
				case pmetric.MetricTypeHistogram:
					if m.Histogram().AggregationTemporality() == pmetric.AggregationTemporalityCumulative {
						typ = famHistogram
					}
				case pmetric.MetricTypeSummary:
					typ = famSummary
				}
				n := pointCount(m)
				if typ == 0 || m.Name() == "" {
					st.dropped += n
					continue
				}
				if n == 0 {
					continue
				}
				name := st.familyName(m.Name(), typ == famCounter)
				fi, ok := st.famIdx[name]
				if !ok {
					fi = len(st.fams)
					if fi < cap(st.fams) {
						st.fams = st.fams[:fi+1]
						st.fams[fi].name, st.fams[fi].typ = name, typ
					} else {
						st.fams = append(st.fams, family{name: name, typ: typ})
					}
					st.fams[fi].rawName = m.Name()
					st.famIdx[name] = fi
					st.order = append(st.order, fi)
				}
				f := &st.fams[fi]
				if f.typ != typ {
					st.dropped += n
					continue
				}
				if f.help == "" {
					f.help = m.Description()
				}
				if res < 0 {
					res = st.resourceLabels(rm.Resource())
				}
				f.members = append(f.members, member{m: m, res: res})
			}
		}
	}
	// A histogram or summary family owns <name>_sum, <name>_count (and <name>_bucket):
	// another family of such a name would clash with its samples.
	for i := range st.fams {
		f := &st.fams[i]
		if f.typ != famHistogram && f.typ != famSummary {
			continue
		}
		for _, suffix := range [...]string{"_sum", "_count", "_bucket"} {
			if suffix == "_bucket" && f.typ != famHistogram {
				continue
			}
			st.scratch = append(append(st.scratch[:0], f.name...), suffix...)
			if oi, ok := st.famIdx[string(st.scratch)]; ok && !st.fams[oi].dropped {
				st.fams[oi].dropped = true
				for _, mb := range st.fams[oi].members {
					st.dropped += pointCount(mb.m)
				}
			}
		}
	}
	slices.SortFunc(st.order, func(a, b int) int { return strings.Compare(st.fams[a].name, st.fams[b].name) })
}

func (st *promState) writeAll(ctx context.Context) error {
	for _, fi := range st.order {
		f := &st.fams[fi]
		if f.dropped {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		st.writeFamily(f)
		if st.err != nil {
			return st.err
		}
	}
	return st.flush()
}

func (st *promState) flush() error {
	if st.err != nil || len(st.out) == 0 {
		return st.err
	}
	n, err := st.w.Write(st.out)
	st.written += int64(n)
	st.out = st.out[:0]
	if err != nil {
		st.err = err
	}
	return st.err
}

func (st *promState) maybeFlush() {
	if len(st.out) >= flushAt {
		_ = st.flush()
	}
}

func (st *promState) writeFamily(f *family) {
	clear(st.seen)
	st.arena = st.arena[:0]
	st.out = append(st.out, "# HELP "...)
	st.out = append(st.out, f.name...)
	st.out = append(st.out, ' ')
	if f.help != "" {
		st.out = appendHelp(st.out, f.help)
	} else {
		// Tasker's default HELP (prometheus_exporter.rb).
		st.out = append(st.out, "Tasker "...)
		st.out = append(st.out, typeNames[f.typ]...)
		st.out = append(st.out, " metric: "...)
		st.out = appendHelp(st.out, f.rawName)
	}
	st.out = append(st.out, "\n# TYPE "...)
	st.out = append(st.out, f.name...)
	st.out = append(st.out, ' ')
	st.out = append(st.out, typeNames[f.typ]...)
	st.out = append(st.out, '\n')

	for _, mb := range f.members {
		switch f.typ {
		case famGauge, famCounter:
			var dps pmetric.NumberDataPointSlice
			if mb.m.Type() == pmetric.MetricTypeGauge {
				dps = mb.m.Gauge().DataPoints()
			} else {
				dps = mb.m.Sum().DataPoints()
			}
			for i := 0; i < dps.Len(); i++ {
				st.writeNumber(f, mb.res, dps.At(i))
			}
		case famHistogram:
			dps := mb.m.Histogram().DataPoints()
			for i := 0; i < dps.Len(); i++ {
				st.writeHistogram(f, mb.res, dps.At(i))
			}
		case famSummary:
			dps := mb.m.Summary().DataPoints()
			for i := 0; i < dps.Len(); i++ {
				st.writeSummary(f, mb.res, dps.At(i))
			}
		}
		if st.err != nil {
			return
		}
	}
}

// seriesLabels renders the labels of a point (attributes, then the resource's labels the
// attributes do not set; empty values left out) into st.lbuf, sorted by name; reserved is the label the family
// type adds (le, quantile), renamed exported_<name> when an attribute has it. It reports
// false when the series was already written in this family.
func (st *promState) seriesLabels(attrs pcommon.Map, res int, reserved string) bool {
	ls := st.labels[:0]
	attrs.Range(func(k string, v pcommon.Value) bool {
		if k == "" {
			return true
		}
		name := st.labelName(k)
		if reserved != "" && name == reserved {
			name = "exported_" + name
		}
		var val string
		if v.Type() == pcommon.ValueTypeStr {
			val = v.Str()
		} else {
			val = v.AsString()
		}
		if val == "" {
			return true // Prometheus treats an empty label value as no label
		}
		ls = append(ls, label{name: name, value: val, key: k})
		return true
	})
	n := len(ls)
	for _, rl := range st.res[res] {
		taken := false
		for i := 0; i < n; i++ {
			if ls[i].name == rl.name {
				taken = true
				break
			}
		}
		if !taken {
			ls = append(ls, rl)
		}
	}
	// Insertion sort by (name, key): few labels, no allocation.
	for i := 1; i < len(ls); i++ {
		for j := i; j > 0 && (ls[j].name < ls[j-1].name || ls[j].name == ls[j-1].name && ls[j].key < ls[j-1].key); j-- {
			ls[j], ls[j-1] = ls[j-1], ls[j]
		}
	}
	st.labels = ls
	b := st.lbuf[:0]
	for i := 0; i < len(ls); i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, ls[i].name...)
		b = append(b, '=', '"')
		b = appendLabelValue(b, ls[i].value)
		// Keys that sanitise to the same name (a.b, a_b): values joined with ";" in key
		// order, as Prometheus' OTLP translation does.
		for i+1 < len(ls) && ls[i+1].name == ls[i].name {
			i++
			b = append(b, ';')
			b = appendLabelValue(b, ls[i].value)
		}
		b = append(b, '"')
	}
	st.lbuf = b
	return st.firstSeen(b)
}

// firstSeen reports whether the label set b is new in the current family. Label sets
// are kept in an arena (length-prefixed) and indexed by hash; equal hashes are compared
// byte for byte, and a collision between different sets probes the next hash value.
func (st *promState) firstSeen(b []byte) bool {
	h := maphash.Bytes(st.enc.seed, b)
	for {
		off, ok := st.seen[h]
		if !ok {
			break
		}
		l := int(binary.LittleEndian.Uint32(st.arena[off:]))
		if bytes.Equal(st.arena[off+4:off+4+l], b) {
			return false
		}
		h++
	}
	st.seen[h] = len(st.arena)
	st.arena = binary.LittleEndian.AppendUint32(st.arena, uint32(len(b)))
	st.arena = append(st.arena, b...)
	return true
}

// sample writes name+suffix{labels[,extra="extraVal"]} and a space.
func (st *promState) sample(name, suffix, extra string, extraVal []byte) {
	st.out = append(st.out, name...)
	st.out = append(st.out, suffix...)
	if len(st.lbuf) > 0 || extra != "" {
		st.out = append(st.out, '{')
		st.out = append(st.out, st.lbuf...)
		if extra != "" {
			if len(st.lbuf) > 0 {
				st.out = append(st.out, ',')
			}
			st.out = append(st.out, extra...)
			st.out = append(st.out, '=', '"')
			st.out = append(st.out, extraVal...)
			st.out = append(st.out, '"')
		}
		st.out = append(st.out, '}')
	}
	st.out = append(st.out, ' ')
}

func (st *promState) writeNumber(f *family, res int, dp pmetric.NumberDataPoint) {
	if dp.Flags().NoRecordedValue() {
		st.dropped++
		return
	}
	switch dp.ValueType() {
	case pmetric.NumberDataPointValueTypeInt, pmetric.NumberDataPointValueTypeDouble:
	default:
		st.dropped++
		return
	}
	if !st.seriesLabels(dp.Attributes(), res, "") {
		st.dropped++
		return
	}
	st.sample(f.name, "", "", nil)
	if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
		st.out = strconv.AppendInt(st.out, dp.IntValue(), 10)
	} else {
		st.out = appendFloat(st.out, dp.DoubleValue())
	}
	st.out = append(st.out, '\n')
	st.items++
	st.maybeFlush()
}

func (st *promState) writeHistogram(f *family, res int, dp pmetric.HistogramDataPoint) {
	bounds, counts := dp.ExplicitBounds(), dp.BucketCounts()
	if dp.Flags().NoRecordedValue() || counts.Len() != 0 && counts.Len() != bounds.Len()+1 {
		st.dropped++
		return
	}
	for i := 0; i < bounds.Len(); i++ {
		b := bounds.At(i)
		if math.IsNaN(b) || i > 0 && b <= bounds.At(i-1) || math.IsInf(b, 1) {
			st.dropped++
			return
		}
	}
	if !st.seriesLabels(dp.Attributes(), res, "le") {
		st.dropped++
		return
	}
	var cum uint64
	if counts.Len() > 0 {
		st.formatBounds(bounds)
		for i := 0; i < bounds.Len(); i++ {
			cum += counts.At(i)
			st.sample(f.name, "_bucket", "le", st.leText[st.leOff[i]:st.leOff[i+1]])
			st.out = strconv.AppendUint(st.out, cum, 10)
			st.out = append(st.out, '\n')
		}
	}
	st.sample(f.name, "_bucket", "le", infBytes)
	st.out = strconv.AppendUint(st.out, dp.Count(), 10)
	st.out = append(st.out, '\n')
	if dp.HasSum() {
		st.sample(f.name, "_sum", "", nil)
		st.out = appendFloat(st.out, dp.Sum())
		st.out = append(st.out, '\n')
	}
	st.sample(f.name, "_count", "", nil)
	st.out = strconv.AppendUint(st.out, dp.Count(), 10)
	st.out = append(st.out, '\n')
	st.items++
	st.maybeFlush()
}

// formatBounds formats the bucket bounds as le values, once for consecutive points that
// share their bounds (the usual case).
func (st *promState) formatBounds(bounds pcommon.Float64Slice) {
	same := len(st.leBounds) == bounds.Len()
	for i := 0; same && i < bounds.Len(); i++ {
		same = st.leBounds[i] == bounds.At(i)
	}
	if same {
		return
	}
	st.leBounds, st.leText = st.leBounds[:0], st.leText[:0]
	st.leOff = append(st.leOff[:0], 0)
	for i := 0; i < bounds.Len(); i++ {
		st.leBounds = append(st.leBounds, bounds.At(i))
		st.leText = appendFloat(st.leText, bounds.At(i))
		st.leOff = append(st.leOff, len(st.leText))
	}
}

func (st *promState) writeSummary(f *family, res int, dp pmetric.SummaryDataPoint) {
	if dp.Flags().NoRecordedValue() {
		st.dropped++
		return
	}
	if !st.seriesLabels(dp.Attributes(), res, "quantile") {
		st.dropped++
		return
	}
	qs := dp.QuantileValues()
	for i := 0; i < qs.Len(); i++ {
		q := qs.At(i)
		st.scratch = appendFloat(st.scratch[:0], q.Quantile())
		st.sample(f.name, "", "quantile", st.scratch)
		st.out = appendFloat(st.out, q.Value())
		st.out = append(st.out, '\n')
	}
	st.sample(f.name, "_sum", "", nil)
	st.out = appendFloat(st.out, dp.Sum())
	st.out = append(st.out, '\n')
	st.sample(f.name, "_count", "", nil)
	st.out = strconv.AppendUint(st.out, dp.Count(), 10)
	st.out = append(st.out, '\n')
	st.items++
	st.maybeFlush()
}

// appendFloat formats f as Prometheus does (client_golang's writeFloat).
func appendFloat(b []byte, f float64) []byte {
	switch {
	case f == 1:
		return append(b, '1')
	case f == 0:
		return append(b, '0')
	case f == -1:
		return append(b, '-', '1')
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, +1):
		return append(b, "+Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// appendLabelValue escapes \, " and newline, and replaces invalid UTF-8.
func appendLabelValue(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\\' || c == '"' || c == '\n' || c >= utf8.RuneSelf {
			return appendLabelValueSlow(b, s)
		}
	}
	return append(b, s...)
}

func appendLabelValueSlow(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	start := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '\\':
			esc = `\\`
		case '"':
			esc = `\"`
		case '\n':
			esc = `\n`
		default:
			continue
		}
		b = append(b, s[start:i]...)
		b = append(b, esc...)
		start = i + 1
	}
	return append(b, s[start:]...)
}

// appendHelp escapes \ and newline (HELP text), and replaces invalid UTF-8.
func appendHelp(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	start := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '\\':
			esc = `\\`
		case '\n':
			esc = `\n`
		default:
			continue
		}
		b = append(b, s[start:i]...)
		b = append(b, esc...)
		start = i + 1
	}
	return append(b, s[start:]...)
}
