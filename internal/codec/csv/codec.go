// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csv

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The signals, as Options.Signal names them.
const (
	signalMetrics = "metrics"
	signalLogs    = "logs"
	signalTraces  = "traces"
)

// Names of generated columns, reserved in field_mapping.
const (
	LabelPrefix  = labelPrefix
	BucketPrefix = bucketPrefix
	LabelsName   = labelsName
)

// Default column sets.
var (
	// DefaultColumns are Tasker's CsvExporter columns (timestamp, name, type, value,
	// labels) plus what a row needs to be read alone: the start of the interval and the
	// temporality of sums and histograms.
	// resource_id tells apart rows of resources that agree on the resource columns.
	DefaultColumns = []string{"timestamp", "start_timestamp", "name", "type", "temporality", "value", "labels", "resource_id"}
	// DefaultResourceColumns are the resource attributes of the default metric rows.
	DefaultResourceColumns = []string{"service.name", "service.instance.id"}
	// DefaultLogColumns are the default log record columns.
	DefaultLogColumns = []string{"timestamp", "observed_timestamp", "severity_text", "severity_number", "event_name", "body", "trace_id", "span_id", "service_name", "attributes"}
	// DefaultSpanColumns are the default span columns.
	DefaultSpanColumns = []string{"trace_id", "span_id", "parent_span_id", "name", "kind", "start_timestamp", "end_timestamp", "duration_ms", "status_code", "status_message", "service_name", "attributes"}
)

// Options are the encoding settings of one signal (the exporter's Config, validated
// there).
type Options struct {
	// Signal is "metrics", "logs" or "traces".
	Signal string
	// Columns of the signal's rows (internal names).
	Columns []string
	// ResourceColumns are resource attributes written as metric columns of their own.
	ResourceColumns []string
	// Separator is one character (see [Separator]).
	Separator      string
	CRLF           bool
	EscapeFormulas bool
	IncludeHeaders bool
	// FieldMapping renames headers (internal name → header name).
	FieldMapping map[string]string
	// PrefixedLabelNames names label columns label_<key> (else SQL-friendly names).
	PrefixedLabelNames bool
	// FlattenLabels writes labels as label columns (with IncludeHeaders).
	FlattenLabels bool
	// UnknownLabelsJSON writes labels the header lacks into a trailing JSON column.
	UnknownLabelsJSON bool
	// GroupBy is the resource attribute whose value splits a batch into groups; "" gives
	// one group.
	GroupBy string
}

// Codec holds what every encoder of one signal's options shares. It is read-only and
// safe for concurrent use.
type Codec = options

// Layout is the column set of one file (and of the rows written to it).
type Layout = layout

// Encoder encodes rows into a reused buffer; it serves one call at a time (pool it).
type Encoder = encoder

// Needs is what the rows of one group of a batch require of a layout ([Encoder.ScanMetrics]).
type Needs = needs

// Group is one group of a batch: the resources whose GroupBy attribute has one value.
type Group = group

// New returns the codec of o.
func New(o Options) (*Codec, error) { return newOptions(&o) }

// NewEncoder returns an encoder.
func (o *options) NewEncoder() *Encoder { return newEncoder(o) }

// Fixed is the layout when it does not depend on the data (logs, spans, metrics
// without headers), else nil: choose one with PerExportLayout or AppendLayout.
func (o *options) Fixed() *Layout { return o.fixed }

// Headers reports whether files begin with a header (include_headers).
func (o *options) Headers() bool { return o.headers }

// PerExportLayout returns the layout of a new file for rows with needs n: last (the
// previous choice) when it is exactly that layout, else a new one.
func (o *options) PerExportLayout(last *Layout, n *Needs) *Layout {
	if last == nil || !o.same(last, n) {
		return o.layoutFor(nil, n)
	}
	return last
}

// AppendLayout returns the layout of rows with needs n appended to a file whose header
// is header (nil when there is no file): last (the previous choice) or the file's own
// layout read back from its header, when it has every column the rows need; else the
// canonical layout of the union (a different header: the file rotates).
func (o *options) AppendLayout(last *Layout, header []byte, n *Needs) *Layout {
	cur := last
	if header != nil && (cur == nil || !bytes.Equal(header, cur.header)) {
		// A file this exporter did not start (an earlier run) or a layout it no
		// longer knows: read its header back. nil when it is not ours.
		cur = o.parseLayout(header)
	}
	switch {
	case cur == nil:
		return o.layoutFor(nil, n)
	case o.covers(cur, n):
		return cur
	default:
		return o.layoutFor(cur, n)
	}
}

// Header is the encoded header line (nil without include_headers).
func (l *layout) Header() []byte { return l.header }

// Name is the group's GroupBy value.
func (g *group) Name() string { return g.name }

// Resources are the indexes of the group's resources in the batch.
func (g *group) Resources() []int { return g.res }

// Split groups the n resources of a batch by their GroupBy attribute.
func (e *encoder) Split(n int, resource func(int) pcommon.Resource) []Group {
	return e.split(n, resource)
}

// ScanMetrics returns what the rows of group g of md need of a layout.
func (e *encoder) ScanMetrics(md pmetric.Metrics, g *Group) *Needs { return e.scanMetrics(md, g) }

// EncodeMetrics returns the rows of group g of md in layout l (valid until the next call).
func (e *encoder) EncodeMetrics(md pmetric.Metrics, g *Group, l *Layout) []byte {
	return e.encodeMetrics(md, g, l)
}

// EncodeLogs returns the rows of group g of ld in layout l.
func (e *encoder) EncodeLogs(ld plog.Logs, g *Group, l *Layout) []byte { return e.encodeLogs(ld, g, l) }

// EncodeTraces returns the rows of group g of td in layout l.
func (e *encoder) EncodeTraces(td ptrace.Traces, g *Group, l *Layout) []byte {
	return e.encodeTraces(td, g, l)
}

// Trim drops buffers grown beyond what is worth pooling.
func (e *encoder) Trim() { e.trim() }

// IsColumn reports whether name is a column of the signal.
func IsColumn(signal, name string) bool { return lookupColumn(columnsFor(signal), name) != fNone }

// Columns lists the columns of the signal in documentation order.
func Columns(signal string) []string {
	defs := columnsFor(signal)
	names := make([]string, len(defs))
	for i, d := range defs {
		names[i] = d.name
	}
	return names
}

// ColumnNames lists the columns of the signal, comma-separated, in documentation order.
func ColumnNames(signal string) string { return columnNames(columnsFor(signal)) }

// SQLName is the column name of a resource attribute or SQL-named label key.
func SQLName(s string) string { return sqlName(s) }

// ResourceColumnNames are the column names of resource_columns.
func ResourceColumnNames(keys []string) []string { return resourceColumnNames(keys) }

// GeneratedName reports whether a header name looks generated (label_ or le_ columns),
// which field_mapping must not map to.
func GeneratedName(s string) bool { return generatedName(s) }

func generatedName(s string) bool {
	return strings.HasPrefix(s, labelPrefix) || strings.HasPrefix(s, bucketPrefix)
}

// Separator checks the separator and returns it: exactly one character that is not a
// quote, CR, LF or NUL (the characters CSV itself uses).
func Separator(s string) (rune, error) { return separatorRune(s) }

// separatorRune checks the separator: exactly one character that is not a quote,
// CR or LF (the characters CSV itself uses).
func separatorRune(s string) (rune, error) {
	r, size := utf8.DecodeRuneInString(s)
	switch {
	case s == "":
		return 0, errors.New(`separator must be one character, got ""`)
	case size != len(s):
		return 0, fmt.Errorf("separator %q must be exactly one character", s)
	case r == utf8.RuneError:
		return 0, fmt.Errorf("separator %q is not valid UTF-8", s)
	case r == '"' || r == '\r' || r == '\n' || r == 0:
		return 0, fmt.Errorf("separator %q cannot be a double quote, CR, LF or NUL", s)
	}
	return r, nil
}
