// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package ndjson

import (
	"encoding/json"
	"maps"
	"slices"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tasker-systems/otelcol-tasker/internal/flatten"
)

// field identifies an output key. Keys are encoded once, at start, with field_mapping
// applied, so the hot path only appends precomputed bytes.
type field int

const (
	fTimestamp field = iota
	fStartTimestamp
	fName
	fType
	fTemporality
	fUnit
	fValue
	fCount
	fSum
	fMin
	fMax
	fBuckets
	fScale
	fZeroCount
	fPositive
	fNegative
	fQuantiles
	fNoRecordedValue
	fAttributes
	fResource
	fScope
	fObservedTimestamp
	fSeverityText
	fSeverityNumber
	fEventName
	fBody
	fTraceID
	fSpanID
	fFlags
	fParentSpanID
	fTraceState
	fKind
	fEndTimestamp
	fDurationMs
	fStatusCode
	fStatusMessage
	fEvents
	fLinks
	// tasker document
	fMetrics
	fTotalMetrics
	fMetadata
	fLabels
	fHelp
	numFields
)

var fieldNames = [numFields]string{
	fTimestamp:         "timestamp",
	fStartTimestamp:    "start_timestamp",
	fName:              "name",
	fType:              "type",
	fTemporality:       "temporality",
	fUnit:              "unit",
	fValue:             "value",
	fCount:             "count",
	fSum:               "sum",
	fMin:               "min",
	fMax:               "max",
	fBuckets:           "buckets",
	fScale:             "scale",
	fZeroCount:         "zero_count",
	fPositive:          "positive",
	fNegative:          "negative",
	fQuantiles:         "quantiles",
	fNoRecordedValue:   "no_recorded_value",
	fAttributes:        "attributes",
	fResource:          "resource",
	fScope:             "scope",
	fObservedTimestamp: "observed_timestamp",
	fSeverityText:      "severity_text",
	fSeverityNumber:    "severity_number",
	fEventName:         "event_name",
	fBody:              "body",
	fTraceID:           "trace_id",
	fSpanID:            "span_id",
	fFlags:             "flags",
	fParentSpanID:      "parent_span_id",
	fTraceState:        "trace_state",
	fKind:              "kind",
	fEndTimestamp:      "end_timestamp",
	fDurationMs:        "duration_ms",
	fStatusCode:        "status_code",
	fStatusMessage:     "status_message",
	fEvents:            "events",
	fLinks:             "links",
	fMetrics:           "metrics",
	fTotalMetrics:      "total_metrics",
	fMetadata:          "metadata",
	fLabels:            "labels",
	fHelp:              "help",
}

// keyTable holds `"<mapped name>":` for every field, and which fields are replaced by
// an additional field of the same name (those are not written, the additional one is).
type keyTable struct {
	key  [numFields][]byte
	skip [numFields]bool
	// extra is `,"k":v` for every additional field, sorted by key.
	extra []byte
}

func newKeyTable(mapping flatten.FieldMapping, additional map[string]any) *keyTable {
	t := &keyTable{}
	for f := field(0); f < numFields; f++ {
		name := mapping.Name(fieldNames[f])
		t.key[f] = append(flatten.AppendJSONString(nil, name), ':')
		if _, ok := additional[name]; ok {
			t.skip[f] = true
		}
	}
	for _, k := range slices.Sorted(maps.Keys(additional)) {
		v, err := json.Marshal(additional[k]) // checked by the component's Config.Validate
		if err != nil {
			continue
		}
		t.extra = append(t.extra, ',')
		t.extra = flatten.AppendJSONString(t.extra, k)
		t.extra = append(t.extra, ':')
		t.extra = append(t.extra, v...)
	}
	return t
}

// attrKeys encodes the keys of item attributes, remembering them by position.
type attrKeys struct{ flatten.KeyCache }

func newAttrKeys() attrKeys { return attrKeys{flatten.KeyCache{Encode: flatten.AppendJSONKey}} }

// appendMap appends m as a JSON object, as flatten.AppendJSONMap does.
func (c *attrKeys) appendMap(dst []byte, m pcommon.Map) []byte {
	dst = append(dst, '{')
	i := 0
	for k, v := range m.All() {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = c.Append(dst, i, k)
		dst = flatten.AppendJSONValue(dst, v)
		i++
	}
	return append(dst, '}')
}
