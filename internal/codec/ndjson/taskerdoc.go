// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package ndjson

import (
	"bytes"
	"encoding/json"
	"hash/maphash"
	"slices"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/internal/flatten"
	"github.com/tasker-systems/otelcol-tasker/internal/walk"
)

// Tasker's JsonExporter identifies its documents so (lib/tasker/telemetry/plugins/json_exporter.rb).
const (
	taskerExporterName    = "json"
	taskerExporterVersion = "1.0.0"
)

// taskerDoc builds Tasker JsonExporter documents:
//
//	{"timestamp": <export time>, "metrics": {<series key>: {name, type, value, labels, help, …}},
//	 "total_metrics": n, "metadata": {exporter, version, exported_at, field_mapping}}
//
// unlike Tasker, histogram entries keep count, sum and cumulative buckets.
type taskerDoc struct {
	o       *Options
	keys    *keyTable
	mapping []byte // field_mapping as a JSON object, nil when empty
	now     func() time.Time

	docs  []Group // one document per group
	count []int
	seen  map[uint64]int // series key hash → occurrences in this document
	seed  maphash.Seed
	attrs []string
	key   []byte
	tmp   []byte
}

func newTaskerDoc(o *Options, keys *keyTable) *taskerDoc {
	d := &taskerDoc{o: o, keys: keys, now: time.Now, seen: map[uint64]int{}, seed: maphash.MakeSeed()}
	if len(o.FieldMapping) > 0 {
		d.mapping, _ = json.Marshal(o.FieldMapping)
	}
	return d
}

// encode returns one document per group for md. The entries are written by the
// NDJSON encoder's field helpers so both formats render values the same way.
func (d *taskerDoc) encode(e *encoder, md pmetric.Metrics) []Group {
	e.reset()
	clear(d.seen)
	d.count = d.count[:0]
	nowTS := pcommon.NewTimestampFromTime(d.now())
	e.doc = d
	walk.Metrics(md, nil, walk.Funcs[pmetric.Metric]{
		Resource: func(r pcommon.Resource) { d.enterResource(e, r) },
		Item:     e.encodeMetric,
	})
	e.doc, e.metric = nil, pmetric.Metric{}
	groups := e.finish()
	for g := range groups {
		e.cur, e.b = g, groups[g].Buf
		d.close(e, d.count[g], nowTS)
		groups[g].Buf = e.b
	}
	return groups
}

// enterResource directs output to the document of r's group, opening the document
// (and its metrics object) at the group's first resource, and pre-encodes r.
func (d *taskerDoc) enterResource(e *encoder, r pcommon.Resource) {
	e.switchGroup(r.Attributes())
	for len(d.count) <= e.cur {
		d.count = append(d.count, 0)
	}
	if len(e.b) == 0 {
		e.b = append(e.b, '{')
		e.b = append(e.b, d.keys.key[fMetrics]...)
		e.b = append(e.b, '{')
	}
	e.setResource(r)
}

// close ends the metrics object and writes the top-level fields, then the additional
// fields (which only exist at the top level: entries use a key table without them).
func (d *taskerDoc) close(e *encoder, n int, now pcommon.Timestamp) {
	entryKeys := e.keys
	e.keys = d.keys
	defer func() { e.keys = entryKeys }()
	e.b = append(e.b, '}')
	e.first = false
	if e.key(fTimestamp) {
		e.b = append(e.b, '"')
		e.b = flatten.AppendTimestamp(e.b, now)
		e.b = append(e.b, '"')
	}
	e.int(fTotalMetrics, int64(n))
	if d.o.IncludeMetadata && e.key(fMetadata) {
		e.b = append(e.b, `{"exporter":"`+taskerExporterName+`","version":"`+taskerExporterVersion+`","exported_at":"`...)
		e.b = flatten.AppendTimestamp(e.b, now)
		e.b = append(e.b, '"')
		if d.mapping != nil {
			e.b = append(e.b, `,"field_mapping":`...)
			e.b = append(e.b, d.mapping...)
		}
		e.b = append(e.b, '}')
	}
	e.end(false)
	if d.o.Pretty {
		var out bytes.Buffer
		if err := json.Indent(&out, e.b, "", "  "); err == nil {
			e.b = append(e.b[:0], out.Bytes()...)
		}
	}
	e.b = append(e.b, '\n')
}

// entryHead writes `"<series key>":{"name":…,"type":…,"labels":{…},"help":…` for one
// data point. The series key is Tasker's: the name, or name{"k"=>"v", …} with the
// labels sorted by key; a key seen before in this document gets " #2", " #3", … so no
// point is lost when two resources report the same series.
func (d *taskerDoc) entryHead(e *encoder, m pmetric.Metric, typ string, attrs pcommon.Map, ts pcommon.Timestamp) {
	if d.count[e.cur] > 0 {
		e.b = append(e.b, ',')
	}
	d.count[e.cur]++
	d.key = append(d.key[:0], m.Name()...)
	if attrs.Len() > 0 {
		d.attrs = d.attrs[:0]
		for k := range attrs.All() {
			d.attrs = append(d.attrs, k)
		}
		slices.Sort(d.attrs)
		d.key = append(d.key, '{')
		for i, k := range d.attrs {
			if i > 0 {
				d.key = append(d.key, ", "...)
			}
			d.key = strconv.AppendQuote(d.key, k)
			d.key = append(d.key, "=>"...)
			v, _ := attrs.Get(k)
			switch v.Type() {
			case pcommon.ValueTypeInt, pcommon.ValueTypeDouble, pcommon.ValueTypeBool:
				d.key = flatten.AppendValue(d.key, v)
			default: // strings, bytes, maps and slices are quoted as Ruby's inspect quotes strings
				d.tmp = flatten.AppendValue(d.tmp[:0], v)
				d.key = strconv.AppendQuote(d.key, string(d.tmp))
			}
		}
		d.key = append(d.key, '}')
	}
	h := maphash.Bytes(d.seed, d.key)
	if n := d.seen[h]; n > 0 {
		d.seen[h] = n + 1
		d.key = append(d.key, " #"...)
		d.key = strconv.AppendInt(d.key, int64(n+1), 10)
	} else {
		d.seen[h] = 1
	}
	e.b = flatten.AppendJSONStringBytes(e.b, d.key)
	e.b = append(e.b, ':')
	e.b = append(e.b, '{')
	e.first = true
	e.str(fName, m.Name())
	e.str(fType, typ)
	e.timestamp(fTimestamp, ts)
	e.strNonEmpty(fUnit, m.Unit())
	if e.key(fLabels) {
		e.b = flatten.AppendJSONMap(e.b, attrs)
	}
	e.strNonEmpty(fHelp, m.Description())
}

func (d *taskerDoc) entryTail(e *encoder) {
	e.raw(fResource, e.resBytes)
	e.b = append(e.b, '}')
}
