// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerregistry

import (
	"strings"
	"time"
)

// Lifecycle event names: Tasker's ExportEvents (lib/tasker/telemetry/events/export_events.rb).
const (
	EventPluginRegistered   = "tasker.telemetry.plugin_registered"
	EventPluginUnregistered = "tasker.telemetry.plugin_unregistered"
	EventCacheSynced        = "tasker.telemetry.cache_synced"
	EventExportRequested    = "tasker.telemetry.export_requested"
	EventExportCompleted    = "tasker.telemetry.export_completed"
	EventExportFailed       = "tasker.telemetry.export_failed"
)

const eventPrefix = "tasker.telemetry."

// EventNames lists every event name, in the order of the table in the README.
var EventNames = []string{
	EventPluginRegistered, EventPluginUnregistered, EventCacheSynced,
	EventExportRequested, EventExportCompleted, EventExportFailed,
}

// Event is one lifecycle event. Payload holds Tasker's payload fields for the event
// (timestamp included, as an RFC 3339 string) plus the component ids involved; see the
// README for the fields of each event. Payload values are strings, numbers, booleans,
// string slices or maps of strings; Payload must not be modified.
type Event struct {
	// Sequence increases by one with every event recorded by a registry, from 1.
	Sequence  uint64         `json:"sequence"`
	Name      string         `json:"name"`
	Timestamp time.Time      `json:"timestamp"`
	Payload   map[string]any `json:"payload"`
}

// NormalizeEventName accepts a full event name or its short form ("export_failed") and
// returns the full name, or "" when it is no lifecycle event.
func NormalizeEventName(name string) string {
	full := name
	if !strings.HasPrefix(full, eventPrefix) {
		full = eventPrefix + name
	}
	for _, n := range EventNames {
		if n == full {
			return n
		}
	}
	return ""
}
