// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package ndjson

import (
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tasker-systems/otelcol-tasker/internal/flatten"
)

// Options are the encoding settings (the exporter's Config, validated there).
type Options struct {
	// FieldMapping renames output keys.
	FieldMapping flatten.FieldMapping
	// AdditionalFields are added to every object (to the tasker document's top level);
	// a key equal to a standard key replaces it. Values must encode as JSON.
	AdditionalFields map[string]any
	// FlattenLabels writes attributes as top-level keys LabelPrefix+key (nested maps
	// joined with LabelSeparator) instead of an "attributes" object.
	FlattenLabels  bool
	LabelPrefix    string
	LabelSeparator string
	// GroupBy is the resource attribute whose value splits the output into groups; ""
	// gives one group.
	GroupBy string
	// Tasker encodes metrics as Tasker JsonExporter documents (one per group); logs and
	// traces stay NDJSON.
	Tasker bool
	// IncludeMetadata adds the metadata block to the tasker document.
	IncludeMetadata bool
	// Pretty indents the tasker document.
	Pretty bool
}

// Codec holds what every encoder of one configuration shares (the encoded keys). It is
// read-only and safe for concurrent use.
type Codec struct {
	o         Options
	keys      *keyTable // top-level keys (NDJSON objects, or the tasker document)
	entryKeys *keyTable // keys of the tasker document's entries (no additional fields)
}

// New returns the codec of o.
func New(o Options) *Codec {
	c := &Codec{o: o, keys: newKeyTable(o.FieldMapping, o.AdditionalFields)}
	c.entryKeys = c.keys
	if o.Tasker {
		c.entryKeys = newKeyTable(o.FieldMapping, nil)
	}
	return c
}

// NewEncoder returns an encoder. An encoder reuses its buffers and serves one call at a
// time (pool them); the groups it returns are valid until its next call.
func (c *Codec) NewEncoder() *Encoder {
	return &Encoder{c: c}
}

// Encoder encodes batches of one signal or several.
type Encoder struct {
	c       *Codec
	enc     *encoder   // NDJSON (logs, traces, and metrics without Tasker)
	entries *encoder   // the tasker document's entries
	doc     *taskerDoc // the tasker document
	now     func() time.Time
}

// SetNow sets the clock of the tasker document's timestamps (time.Now by default).
func (e *Encoder) SetNow(now func() time.Time) {
	e.now = now
	if e.doc != nil {
		e.doc.now = now
	}
}

func (e *Encoder) ndjson() *encoder {
	if e.enc == nil {
		e.enc = newEncoder(&e.c.o, e.c.keys)
	}
	return e.enc
}

// Metrics encodes md: NDJSON lines, or one tasker document per group with Tasker.
func (e *Encoder) Metrics(md pmetric.Metrics) []Group {
	if !e.c.o.Tasker {
		return e.ndjson().encodeMetrics(md)
	}
	if e.doc == nil {
		e.entries = newEncoder(&e.c.o, e.c.entryKeys)
		e.doc = newTaskerDoc(&e.c.o, e.c.keys)
		if e.now != nil {
			e.doc.now = e.now
		}
	}
	return e.doc.encode(e.entries, md)
}

// Logs encodes ld as NDJSON lines.
func (e *Encoder) Logs(ld plog.Logs) []Group { return e.ndjson().encodeLogs(ld) }

// Traces encodes td as NDJSON lines.
func (e *Encoder) Traces(td ptrace.Traces) []Group { return e.ndjson().encodeTraces(td) }
