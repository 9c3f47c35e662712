// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"strings"
	"sync/atomic"

	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// PluginHandle is what a plugin gets back from Register. The methods of a nil
// *PluginHandle do nothing, so a component that found no registry needs no checks. A
// handle whose plugin was unregistered or replaced does nothing either.
type PluginHandle struct {
	r        *Registry
	e        *pluginEntry
	released atomic.Bool
}

// Name is the plugin's name in the registry.
func (h *PluginHandle) Name() string {
	if h == nil {
		return ""
	}
	return h.e.p.Name
}

// ReportExport records one export: it updates the plugin's stats and emits
// tasker.telemetry.export_completed or tasker.telemetry.export_failed.
func (h *PluginHandle) ReportExport(rep taskerregistry.ExportReport) {
	if h == nil {
		return
	}
	h.r.reportExport(h.e, rep)
}

// Unregister removes the plugin, if it is still the one registered under its name, and
// emits tasker.telemetry.plugin_unregistered; a shared plugin is removed when its last
// handle unregisters. Calling it again does nothing. Call it from the component's Shutdown.
func (h *PluginHandle) Unregister() error {
	if h == nil || h.released.Swap(true) {
		return nil
	}
	return h.r.unregister(h.e.p.Name, h.e)
}

func (r *Registry) current(e *pluginEntry) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.plugins[e.p.Name] == e
}

func (r *Registry) reportExport(e *pluginEntry, rep taskerregistry.ExportReport) {
	if !r.current(e) {
		return
	}
	at := r.now()
	r.recordExport(e, at, rep.Items, rep.Bytes, 0, rep.Duration, rep.Err)
	format := strings.ToLower(rep.Format)
	if format == "" && len(e.p.Formats) > 0 {
		format = e.p.Formats[0]
	}
	id := rep.ExportID
	if id == "" {
		id = newID()
	}
	payload := map[string]any{
		"export_id":      id,
		"format":         format,
		"origin":         "pipeline",
		"plugin_name":    e.p.Name,
		"plugin_version": e.p.Version,
		"duration_ms":    durationMs(rep.Duration),
		"success":        rep.Err == nil,
	}
	if rep.Signal != "" {
		payload["signal"] = rep.Signal
	}
	addComponent(payload, e.p.ComponentID, e.p.Kind)
	name := taskerregistry.EventExportCompleted
	if rep.Err != nil {
		name = taskerregistry.EventExportFailed
		payload["error"] = rep.Err.Error()
	} else {
		payload["metrics_count"] = rep.Items
		payload["bytes"] = rep.Bytes
	}
	r.emit(name, payload)
}
