// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package promtext

import (
	"io"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// The conversion of pmetric.Metrics into Prometheus families, in three steps: collect
// (group the points into families, validate them, render their attribute labels),
// dedupe (find series two resources share and add the resource attributes that tell the
// resources apart), and build (client_model families, in promdto.go).

type famKind uint8

const (
	famGauge famKind = iota + 1
	famCounter
	famHistogram
	famSummary
)

var kindNames = [...]string{famGauge: "gauge", famCounter: "counter", famHistogram: "histogram", famSummary: "summary"}

type label struct{ name, value, key string }

type family struct {
	name, help, rawName string
	typ                 famKind
	npts                int  // points collected
	dropped             bool // the whole family (name clash)
}

// point is a data point waiting to be written.
type point struct {
	m      pmetric.Metric
	i      int32 // index in the metric's data points
	fam    int32
	res    int32
	lo, ln int32 // its attribute labels in convState.attrs
	dup    bool
}

// resource is a resource of the input and the labels it gives its series.
type resource struct {
	r      pcommon.Resource
	base   []label // job, instance, resource_attributes
	extra  []label // attributes that tell it apart from resources it collided with
	parent int     // union-find: resources whose series collided
	used   bool
}

type nameKey struct {
	name    string
	counter bool
}

type convState struct {
	enc *Encoder

	fams   []family
	famIdx map[string]int
	res    []resource
	pts    []point
	attrs  []label
	tmp    []label
	key    []byte
	key2   []byte
	seen   map[uint64]int32

	// layout (promlayout.go)
	famOff  []int
	famPts  []int32
	next    []int
	order   []int
	info    [][]label
	infoFam int

	// writer (write.go)
	out      []byte
	lbuf     []byte
	w        io.Writer
	written  int64
	err      error
	leBounds []float64
	leText   []byte
	leOff    []int
	leOM     bool

	names  map[nameKey]string // metric name → family name (kept across encodings)
	lnames map[string]string  // attribute key → label name (kept across encodings)

	reasons        map[string]int
	items, dropped int
}

const (
	maxCacheSize = 1 << 14
	maxKeepBytes = 4 << 20
	flushAt      = 60 << 10
)

func newConvState() *convState {
	return &convState{
		famIdx:  make(map[string]int),
		seen:    make(map[uint64]int32),
		names:   make(map[nameKey]string),
		lnames:  make(map[string]string),
		reasons: make(map[string]int),
		infoFam: -1,
		out:     make([]byte, 0, 64<<10),
	}
}

func (st *convState) reset() {
	clear(st.fams)
	st.fams = st.fams[:0]
	clear(st.famIdx)
	for i := range st.res {
		st.res[i] = resource{base: st.res[i].base[:0]}
	}
	st.res = st.res[:0]
	clear(st.pts)
	st.pts = st.pts[:0]
	clear(st.attrs)
	st.attrs = st.attrs[:0]
	clear(st.seen)
	clear(st.reasons)
	clear(st.info)
	st.info, st.infoFam = st.info[:0], -1
	st.out, st.lbuf = st.out[:0], st.lbuf[:0]
	if cap(st.out) > maxKeepBytes {
		st.out = nil
	}
	st.w, st.written, st.err = nil, 0, nil
	if len(st.names) > maxCacheSize {
		clear(st.names)
	}
	if len(st.lnames) > maxCacheSize {
		clear(st.lnames)
	}
	st.items, st.dropped, st.enc = 0, 0, nil
}

func (st *convState) drop(reason string, n int) {
	if n > 0 {
		st.dropped += n
		st.reasons[reason] += n
	}
}

func (st *convState) familyName(name string, counter bool) string {
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

func (st *convState) labelName(key string) string {
	if n, ok := st.lnames[key]; ok {
		return n
	}
	n := SanitizeLabelName(key)
	st.lnames[strings.Clone(key)] = n
	return n
}

// labelValue is the value of an attribute as a label value ("" means no label).
func labelValue(v pcommon.Value) string {
	var s string
	if v.Type() == pcommon.ValueTypeStr {
		s = v.Str()
	} else {
		s = v.AsString()
	}
	return validUTF8(s)
}

func validUTF8(s string) string {
	if !utf8.ValidString(s) {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}

func (st *convState) addResource(r pcommon.Resource) int32 {
	idx := len(st.res)
	if idx < cap(st.res) {
		st.res = st.res[:idx+1]
	} else {
		st.res = append(st.res, resource{})
	}
	res := &st.res[idx]
	res.r, res.parent = r, idx
	ls := res.base[:0]
	attrs := r.Attributes()
	if !st.enc.opts.NoJobInstanceLabels {
		if job := Job(attrs); job != "" {
			ls = append(ls, label{name: "job", value: job, key: "service.name"})
		}
		if v, ok := attrs.Get("service.instance.id"); ok && v.AsString() != "" {
			ls = append(ls, label{name: "instance", value: validUTF8(v.AsString()), key: "service.instance.id"})
		}
	}
	for _, ra := range st.enc.resAttrs {
		if v, ok := attrs.Get(ra.key); ok {
			if s := labelValue(v); s != "" {
				ls = append(ls, label{name: ra.label, value: s, key: ra.key})
			}
		}
	}
	sortLabels(ls)
	res.base = ls
	return int32(idx)
}

// Job is the job label of a resource: service.namespace/service.name, or service.name.
func Job(attrs pcommon.Map) string {
	v, ok := attrs.Get("service.name")
	if !ok || v.AsString() == "" {
		return ""
	}
	job := v.AsString()
	if ns, ok := attrs.Get("service.namespace"); ok && ns.AsString() != "" {
		job = ns.AsString() + "/" + job
	}
	return validUTF8(job)
}

// collect groups the points into families.
func (st *convState) collect(md pmetric.Metrics) {
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		res := st.addResource(rm.Resource())
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				st.collectMetric(ms.At(k), res)
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
			st.key = append(append(st.key[:0], f.name...), suffix...)
			if oi, ok := st.famIdx[string(st.key)]; ok && !st.fams[oi].dropped {
				st.fams[oi].dropped = true
				st.drop(DropNameClash, st.fams[oi].npts)
			}
		}
	}
}

func (st *convState) collectMetric(m pmetric.Metric, res int32) {
	typ, n := kindOf(m), PointCount(m)
	switch {
	case n == 0:
		return
	case typ == 0:
		st.drop(DropUnsupported, n)
		return
	case m.Name() == "":
		st.drop(DropNoName, n)
		return
	}
	name := st.familyName(m.Name(), typ == famCounter)
	fi, ok := st.famIdx[name]
	if !ok {
		fi = len(st.fams)
		st.fams = append(st.fams, family{name: name, typ: typ, rawName: validUTF8(m.Name())})
		st.famIdx[name] = fi
	}
	f := &st.fams[fi]
	if f.typ != typ {
		st.drop(DropTypeConflict, n)
		return
	}
	if f.help == "" {
		f.help = validUTF8(m.Description())
	}
	for i := 0; i < n; i++ {
		attrs, reserved, reason := pointAttrs(m, typ, i)
		if reason != "" {
			st.drop(reason, 1)
			continue
		}
		lo := len(st.attrs)
		st.appendAttrLabels(attrs, reserved)
		st.pts = append(st.pts, point{m: m, i: int32(i), fam: int32(fi), res: res, lo: int32(lo), ln: int32(len(st.attrs) - lo)})
		f.npts++
		st.res[res].used = true
	}
}

// appendAttrLabels renders a point's attributes as labels (empty values left out: they
// mean no label in Prometheus), sorted; keys that sanitise to the same name (a.b, a_b)
// give one label, their values joined with ";" in key order, as Prometheus' OTLP
// translation does; reserved becomes exported_<reserved>.
func (st *convState) appendAttrLabels(attrs pcommon.Map, reserved string) {
	lo := len(st.attrs)
	attrs.Range(func(k string, v pcommon.Value) bool {
		if k == "" {
			return true
		}
		val := labelValue(v)
		if val == "" {
			return true
		}
		name := st.labelName(k)
		if reserved != "" && name == reserved {
			name = "exported_" + name
		}
		st.attrs = append(st.attrs, label{name: name, value: val, key: k})
		return true
	})
	ls := st.attrs[lo:]
	sortLabels(ls)
	st.attrs = st.attrs[:lo+len(joinSameNames(ls))]
}

// sortLabels sorts by (name, key): insertion sort, few labels, no allocation.
func sortLabels(ls []label) {
	for i := 1; i < len(ls); i++ {
		for j := i; j > 0 && (ls[j].name < ls[j-1].name || ls[j].name == ls[j-1].name && ls[j].key < ls[j-1].key); j-- {
			ls[j], ls[j-1] = ls[j-1], ls[j]
		}
	}
}

func hasName(ls []label, name string) bool {
	for i := range ls {
		if ls[i].name == name {
			return true
		}
	}
	return false
}

// labelsOf returns the labels of a point: its attributes, then its resource's labels the
// attributes do not set, sorted by name. The slice is reused by the next call.
func (st *convState) labelsOf(p *point) []label {
	attrs := st.attrs[p.lo : p.lo+p.ln]
	r := &st.res[p.res]
	// All three lists are sorted by name and each has unique names: merge them, the
	// point's attributes winning over the resource's labels.
	ls := st.tmp[:0]
	i, j, k := 0, 0, 0
	for i < len(attrs) || j < len(r.base) || k < len(r.extra) {
		next, src := label{}, -1
		if i < len(attrs) {
			next, src = attrs[i], 0
		}
		if j < len(r.base) && (src < 0 || r.base[j].name < next.name) {
			next, src = r.base[j], 1
		}
		if k < len(r.extra) && (src < 0 || r.extra[k].name < next.name) {
			next, src = r.extra[k], 2
		}
		switch src {
		case 0:
			i++
		case 1:
			j++
		case 2:
			k++
		}
		if n := len(ls); n > 0 && ls[n-1].name == next.name {
			continue // taken by an attribute (or base over extra: never, they are disjoint)
		}
		ls = append(ls, next)
	}
	st.tmp = ls
	return ls
}
