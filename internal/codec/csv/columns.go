// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csv

import (
	"strings"
)

// field identifies what a column holds.
type field uint8

const (
	fNone field = iota

	// Shared by several signals.
	fTimestamp
	fName
	fResource
	fScope
	fScopeVersion
	fServiceName
	fResourceID
	fAttributes
	fTraceID
	fSpanID
	fFlags
	fDroppedAttributesCount

	// Metrics.
	fStartTimestamp
	fType
	fTemporality
	fUnit
	fDescription
	fValue
	fCount
	fSum
	fMin
	fMax
	fBuckets
	fLabels // configured "labels": label_<key> columns, or one JSON column

	// Logs.
	fObservedTimestamp
	fSeverityText
	fSeverityNumber
	fEventName
	fBody

	// Spans.
	fParentSpanID
	fTraceState
	fKind
	fStart
	fEnd
	fDurationMs
	fStatusCode
	fStatusMessage
	fEvents
	fLinks
	fDroppedEventsCount
	fDroppedLinksCount

	// Generated metric columns (never configured directly).
	fLabel             // label_<key>
	fLabelsJSON        // labels as one JSON object
	fLabelsPlaceholder // "labels" when flattening and no label key exists (Tasker): always empty
	fLabelsExtra       // trailing "labels" JSON of keys the header lacks (unknown_labels: json)
	fBucket            // le_<bound>: cumulative count <= bound
	fBucketInf         // le_inf: cumulative count of all buckets
	fResourceAttr      // one configured resource_columns attribute

	numFields
)

// Names of generated columns.
const (
	labelPrefix    = "label_"
	bucketPrefix   = "le_"
	bucketInfName  = "le_inf"
	labelsName     = "labels"
	labelSeparator = "."
)

type columnDef struct {
	name string
	f    field
}

// metricColumns are the columns available for metrics, in documentation order.
var metricColumns = []columnDef{
	{"timestamp", fTimestamp},
	{"start_timestamp", fStartTimestamp},
	{"name", fName},
	{"type", fType},
	{"temporality", fTemporality},
	{"unit", fUnit},
	{"description", fDescription},
	{"value", fValue},
	{"count", fCount},
	{"sum", fSum},
	{"min", fMin},
	{"max", fMax},
	{"buckets", fBuckets},
	{"labels", fLabels},
	{"resource", fResource},
	{"scope", fScope},
	{"scope_version", fScopeVersion},
	{"service_name", fServiceName},
	{"resource_id", fResourceID},
}

// logColumns are the columns available for logs.
var logColumns = []columnDef{
	{"timestamp", fTimestamp},
	{"observed_timestamp", fObservedTimestamp},
	{"severity_text", fSeverityText},
	{"severity_number", fSeverityNumber},
	{"event_name", fEventName},
	{"body", fBody},
	{"trace_id", fTraceID},
	{"span_id", fSpanID},
	{"flags", fFlags},
	{"service_name", fServiceName},
	{"attributes", fAttributes},
	{"dropped_attributes_count", fDroppedAttributesCount},
	{"resource", fResource},
	{"resource_id", fResourceID},
	{"scope", fScope},
	{"scope_version", fScopeVersion},
}

// spanColumns are the columns available for spans.
var spanColumns = []columnDef{
	{"trace_id", fTraceID},
	{"span_id", fSpanID},
	{"parent_span_id", fParentSpanID},
	{"trace_state", fTraceState},
	{"name", fName},
	{"kind", fKind},
	{"start_timestamp", fStart},
	{"end_timestamp", fEnd},
	{"duration_ms", fDurationMs},
	{"status_code", fStatusCode},
	{"status_message", fStatusMessage},
	{"service_name", fServiceName},
	{"attributes", fAttributes},
	{"events", fEvents},
	{"links", fLinks},
	{"flags", fFlags},
	{"dropped_attributes_count", fDroppedAttributesCount},
	{"dropped_events_count", fDroppedEventsCount},
	{"dropped_links_count", fDroppedLinksCount},
	{"resource", fResource},
	{"resource_id", fResourceID},
	{"scope", fScope},
	{"scope_version", fScopeVersion},
}

func lookupColumn(defs []columnDef, name string) field {
	for _, d := range defs {
		if d.name == name {
			return d.f
		}
	}
	return fNone
}

func columnNames(defs []columnDef) string {
	names := make([]string, len(defs))
	for i, d := range defs {
		names[i] = d.name
	}
	return strings.Join(names, ", ")
}

// columnsFor returns the definitions of a signal.
func columnsFor(signal string) []columnDef {
	switch signal {
	case signalMetrics:
		return metricColumns
	case signalLogs:
		return logColumns
	default:
		return spanColumns
	}
}
