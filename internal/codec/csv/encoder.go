// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csv

import (
	"encoding/hex"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tasker-systems/otelcol-tasker/internal/flatten"
)

// maxPooledBuffer: a buffer grown beyond this by an unusually large batch is not kept.
const maxPooledBuffer = 16 << 20

// group is the resources of one batch that go to one group_by file.
type group struct {
	name string
	res  []int // indices of the resources (ResourceMetrics/ResourceLogs/ResourceSpans)
}

// encoder turns one batch into CSV rows. It is not safe for concurrent use: the
// exporter pools them, one per concurrent export.
type encoder struct {
	o   *options
	w   *csvWriter
	buf []byte

	groups []group
	gname  []byte

	// Metric batch scan: the label keys and bucket bounds the batch needs.
	need     needs
	keys     keyCache // label key → column key
	keySet   map[string]struct{}
	boundSet map[float64]struct{}

	// Per-row label and bucket slots; a slot is set for this row when its gen matches.
	l         *layout
	gen       uint32
	slotVal   []pcommon.Value
	slotGen   []uint32
	bucketCum []uint64
	bucketGen []uint32
	extras    []extraLabel
	extraKeys []byte
	scanSeen  []string  // the key last seen at each attribute position (scan)
	fillSeen  []keySlot // the key and slot last seen at each attribute position (rows)
	visitFn   func(key []byte, v pcommon.Value)
	scanFn    func(key []byte, v pcommon.Value)

	// Cells rendered once per resource, scope or metric.
	cell     [numFields][]byte
	resCells [][]byte // resource_columns of the current resource
	// resource_id scratch: the sorted attribute keys and one key's bytes.
	ridKeys    []string
	ridScratch []byte
	// times formats timestamps, remembering the calendar part of recent seconds.
	times flatten.TimeFormatter

	sepByte byte             // the separator when it is one byte
	json    []byte           // JSON is built here, then quoted into buf
	jkeys   flatten.KeyCache // encoded attribute keys (""key"":) of the previous rows, by position
}

type extraLabel struct {
	key      string // flat key, or "" when in extraKeys[from:to]
	from, to int
	v        pcommon.Value
}

func newEncoder(o *options) *encoder {
	e := &encoder{
		o:        o,
		w:        o.newWriter(),
		keySet:   map[string]struct{}{},
		boundSet: map[float64]struct{}{},
		keys:     keyCache{n: o.namer, m: map[string]string{}},
		resCells: make([][]byte, len(o.resCols)),
	}
	e.visitFn = e.visitLabel
	e.scanFn = e.scanLabel
	e.jkeys.Encode = func(dst []byte, k string) []byte { return append(e.appendJSONStringDoubled(dst, k), ':') }
	if e.w.sepASCII {
		e.sepByte = e.w.sep[0]
	}
	return e
}

func (e *encoder) reset() { e.buf = e.buf[:0] }

// trim lets go of buffers an unusually large batch grew, before the encoder is pooled.
func (e *encoder) trim() {
	if cap(e.buf) > maxPooledBuffer {
		e.buf = nil
	}
	if cap(e.json) > maxPooledBuffer {
		e.json = nil
	}
	if cap(e.w.scratch) > maxPooledBuffer {
		e.w.scratch = nil
	}
}

// done drops the references to the batch (pdata strings and values) the encoder kept
// for speed, so a pooled encoder does not keep a batch alive.
func (e *encoder) done() {
	e.jkeys.Forget()
	clear(e.fillSeen)
	clear(e.ridKeys)
	clear(e.slotVal)
	clear(e.extras)
	clear(e.need.keys)
	clear(e.keySet)
	e.l = nil
}

// split groups the n resources of a batch by the group_by attribute.
func (e *encoder) split(n int, resource func(int) pcommon.Resource) []group {
	e.groups = e.groups[:0]
	if e.o.groupAttr == "" {
		g := e.newGroup("")
		for i := 0; i < n; i++ {
			g.res = append(g.res, i)
		}
		return e.groups
	}
	for i := 0; i < n; i++ {
		e.gname = e.gname[:0]
		if v, ok := resource(i).Attributes().Get(e.o.groupAttr); ok {
			e.gname = flatten.AppendValue(e.gname, v)
		}
		var g *group
		for j := range e.groups {
			if e.groups[j].name == string(e.gname) {
				g = &e.groups[j]
				break
			}
		}
		if g == nil {
			g = e.newGroup(string(e.gname))
		}
		g.res = append(g.res, i)
	}
	return e.groups
}

func (e *encoder) newGroup(name string) *group {
	if len(e.groups) < cap(e.groups) {
		e.groups = e.groups[:len(e.groups)+1]
	} else {
		e.groups = append(e.groups, group{})
	}
	g := &e.groups[len(e.groups)-1]
	g.name = name
	g.res = g.res[:0]
	return g
}

// --- cells -----------------------------------------------------------------

func (e *encoder) sep() {
	if e.sepByte != 0 {
		e.buf = append(e.buf, e.sepByte)
		return
	}
	e.buf = append(e.buf, e.w.sep...)
}

// endRow terminates a row that began at start with n cells.
func (e *encoder) endRow(start, n int) {
	if n == 1 && len(e.buf) == start {
		e.buf = append(e.buf, '"', '"')
	}
	e.buf = append(e.buf, e.w.eol...)
}

func (e *encoder) text(s string) {
	start := len(e.buf)
	e.buf = append(e.buf, s...)
	e.buf = e.w.finish(e.buf, start, true)
}

func (e *encoder) int(v int64) {
	start := len(e.buf)
	e.buf = strconv.AppendInt(e.buf, v, 10)
	if !e.w.numSafe {
		e.buf = e.w.finish(e.buf, start, false)
	}
}

func (e *encoder) uint(v uint64) {
	start := len(e.buf)
	e.buf = strconv.AppendUint(e.buf, v, 10)
	if !e.w.numSafe {
		e.buf = e.w.finish(e.buf, start, false)
	}
}

func (e *encoder) float(v float64) {
	start := len(e.buf)
	e.buf = flatten.AppendFloat(e.buf, v)
	if !e.w.numSafe {
		e.buf = e.w.finish(e.buf, start, false)
	}
}

// value appends a label/attribute value: strings (and bytes) are text, numbers are not.
func (e *encoder) value(v pcommon.Value) {
	start := len(e.buf)
	e.buf = flatten.AppendValue(e.buf, v)
	t := v.Type()
	e.buf = e.w.finish(e.buf, start, t != pcommon.ValueTypeInt && t != pcommon.ValueTypeDouble && t != pcommon.ValueTypeBool)
}

// timestamp appends ts (RFC 3339 nanos UTC, empty when unset).
func (e *encoder) timestamp(ts pcommon.Timestamp) {
	start := len(e.buf)
	e.buf = e.times.Append(e.buf, ts)
	if !e.w.tsSafe {
		e.buf = e.w.finish(e.buf, start, false)
	}
}

func (e *encoder) traceID(id pcommon.TraceID) {
	if !id.IsEmpty() {
		start := len(e.buf)
		e.buf = hex.AppendEncode(e.buf, id[:])
		if !e.w.hexSafe {
			e.buf = e.w.finish(e.buf, start, false)
		}
	}
}

func (e *encoder) spanID(id pcommon.SpanID) {
	if !id.IsEmpty() {
		start := len(e.buf)
		e.buf = hex.AppendEncode(e.buf, id[:])
		if !e.w.hexSafe {
			e.buf = e.w.finish(e.buf, start, false)
		}
	}
}

// durationMs appends end-start in milliseconds, exactly (up to 6 decimals, no
// exponent); empty when either end is unset.
func (e *encoder) durationMs(start, end pcommon.Timestamp) {
	if start == 0 || end == 0 {
		return
	}
	cellStart := len(e.buf)
	d := int64(end) - int64(start) //nolint:gosec // nanoseconds since 1970 fit in int64 until 2262
	if d < 0 {
		e.buf = append(e.buf, '-')
		d = -d
	}
	e.buf = strconv.AppendInt(e.buf, d/1e6, 10)
	e.buf = flatten.AppendFraction(e.buf, d%1e6, 6)
	if !e.w.numSafe {
		e.buf = e.w.finish(e.buf, cellStart, false)
	}
}

// setCell renders a context cell (per resource, scope or metric) once.
func (e *encoder) setCell(f field, s string) {
	e.cell[f] = e.w.finish(append(e.cell[f][:0], s...), 0, true)
}

func (e *encoder) setResource(res pcommon.Resource, has *[numFields]bool) {
	if has[fResource] {
		c := e.cell[fResource][:0]
		if res.Attributes().Len() > 0 {
			c = e.w.finish(flatten.AppendJSONMap(c, res.Attributes()), 0, true)
		}
		e.cell[fResource] = c
	}
	if has[fServiceName] {
		e.cell[fServiceName] = e.attrCell(e.cell[fServiceName], res.Attributes(), "service.name")
	}
	if has[fResourceID] {
		e.cell[fResourceID], e.ridKeys, e.ridScratch = flatten.ResourceID(e.cell[fResourceID][:0], res.Attributes(), e.ridKeys, e.ridScratch)
	}
	if has[fResourceAttr] {
		for i, rc := range e.o.resCols {
			e.resCells[i] = e.attrCell(e.resCells[i], res.Attributes(), rc.key)
		}
	}
}

// attrCell renders attribute key of m into c (empty when m lacks it).
func (e *encoder) attrCell(c []byte, m pcommon.Map, key string) []byte {
	c = c[:0]
	if v, ok := m.Get(key); ok {
		c = flatten.AppendValue(c, v)
		c = e.w.finish(c, 0, v.Type() == pcommon.ValueTypeStr || v.Type() == pcommon.ValueTypeBytes)
	}
	return c
}

func (e *encoder) setScope(s pcommon.InstrumentationScope, has *[numFields]bool) {
	if has[fScope] {
		e.setCell(fScope, s.Name())
	}
	if has[fScopeVersion] {
		e.setCell(fScopeVersion, s.Version())
	}
}

func (e *encoder) cached(f field) { e.buf = append(e.buf, e.cell[f]...) }
