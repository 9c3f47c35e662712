// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"sort"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
)

// Queries: plugins, formats, stats, events.

// Get returns the plugin registered under name.
func (r *Registry) Get(name string) (PluginInfo, bool) {
	r.mu.RLock()
	e, ok := r.plugins[name]
	r.mu.RUnlock()
	if !ok {
		return PluginInfo{}, false
	}
	return r.info(e), true
}

// Plugins returns every plugin in registration order.
func (r *Registry) Plugins() []PluginInfo {
	r.mu.RLock()
	entries := append([]*pluginEntry(nil), r.order...)
	r.mu.RUnlock()
	out := make([]PluginInfo, len(entries))
	for i, e := range entries {
		out[i] = r.info(e)
	}
	return out
}

// ByFormat returns the plugins that support format (matched lower-case), in registration
// order: the order in which Export tries them.
func (r *Registry) ByFormat(format string) []PluginInfo {
	entries := r.byFormat(strings.ToLower(strings.TrimSpace(format)), false)
	out := make([]PluginInfo, len(entries))
	for i, e := range entries {
		out[i] = r.info(e)
	}
	return out
}

func (r *Registry) byFormat(format string, encodersOnly bool) []*pluginEntry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []*pluginEntry
	for _, e := range r.order {
		if encodersOnly && e.enc == nil {
			continue
		}
		for _, f := range e.p.Formats {
			if f == format {
				out = append(out, e)
				break
			}
		}
	}
	return out
}

// Formats returns every format some plugin supports, sorted (Tasker's supported_formats).
func (r *Registry) Formats() []string {
	return r.formats(false)
}

// ExportableFormats returns the formats that some Encoder supports: those Export serves.
func (r *Registry) ExportableFormats() []string {
	return r.formats(true)
}

func (r *Registry) formats(encodersOnly bool) []string {
	r.mu.RLock()
	set := map[string]bool{}
	for _, e := range r.order {
		if encodersOnly && e.enc == nil {
			continue
		}
		for _, f := range e.p.Formats {
			set[f] = true
		}
	}
	r.mu.RUnlock()
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// SupportsFormat reports whether some plugin supports format.
func (r *Registry) SupportsFormat(format string) bool {
	return len(r.byFormat(strings.ToLower(strings.TrimSpace(format)), false)) > 0
}

// Stats returns the registry's state.
func (r *Registry) Stats() Stats {
	r.mu.RLock()
	entries := append([]*pluginEntry(nil), r.order...)
	srcs := append([]*sourceEntry(nil), r.sourceOrder...)
	r.mu.RUnlock()

	st := Stats{
		TotalPlugins:      len(entries),
		SupportedFormats:  []string{},
		ExportableFormats: []string{},
		PluginsByFormat:   map[string][]string{},
		Plugins:           make(map[string]PluginStats, len(entries)),
		MetricsSources:    make([]SourceStats, 0, len(srcs)),
	}
	exportable := map[string]bool{}
	for _, e := range entries {
		for _, f := range e.p.Formats {
			st.PluginsByFormat[f] = append(st.PluginsByFormat[f], e.p.Name)
			if e.enc != nil {
				exportable[f] = true
			}
		}
		st.Plugins[e.p.Name] = r.pluginStats(e)
	}
	for f := range st.PluginsByFormat {
		st.SupportedFormats = append(st.SupportedFormats, f)
	}
	sort.Strings(st.SupportedFormats)
	for f := range exportable {
		st.ExportableFormats = append(st.ExportableFormats, f)
	}
	sort.Strings(st.ExportableFormats)
	st.TotalFormats = len(st.SupportedFormats)
	for _, s := range srcs {
		st.MetricsSources = append(st.MetricsSources, r.sourceStats(s))
	}
	st.Events = r.events.stats()
	return st
}

// Events returns recorded events (see EventQuery).
func (r *Registry) Events(q EventQuery) EventPage {
	return r.events.query(q)
}

func (r *Registry) info(e *pluginEntry) PluginInfo {
	p := e.p
	pi := PluginInfo{
		Name:          p.Name,
		Version:       p.Version,
		Description:   p.Description,
		Formats:       append([]string{}, p.Formats...),
		ComponentKind: kindName(p.Kind),
		PluginClass:   e.class,
		Encoder:       e.enc != nil,
		Observer:      e.obs != nil,
		Builtin:       e.builtin,
		Instances:     int(e.refs.Load()),
		Options:       map[string]string{},
		RegisteredAt:  e.registered.UTC(),
		Stats:         r.pluginStats(e),
	}
	if p.ComponentID != (component.ID{}) {
		pi.ComponentID = p.ComponentID.String()
	}
	for k, v := range p.Options {
		pi.Options[k] = v
	}
	return pi
}

func (r *Registry) pluginStats(e *pluginEntry) PluginStats {
	r.statsMu.Lock()
	defer r.statsMu.Unlock()
	ps := PluginStats{Exports: e.exports, Failures: e.failures, Items: e.items, Bytes: e.bytes, Dropped: e.dropped}
	if e.hasLast {
		t := e.lastExport.UTC()
		ms := durationMs(e.lastDur)
		ps.LastExport, ps.LastDurationMs = &t, &ms
	}
	if !e.lastErrAt.IsZero() {
		msg, t := e.lastErr, e.lastErrAt.UTC()
		ps.LastError, ps.LastErrorAt = &msg, &t
	}
	return ps
}

// recordExport updates a plugin's counts.
func (r *Registry) recordExport(e *pluginEntry, at time.Time, items int, bytes int64, dropped int, d time.Duration, err error) {
	r.statsMu.Lock()
	defer r.statsMu.Unlock()
	e.hasLast, e.lastExport, e.lastDur = true, at, d
	if err != nil {
		e.failures++
		e.lastErr, e.lastErrAt = err.Error(), at
		return
	}
	e.exports++
	if items > 0 {
		e.items += uint64(items)
	}
	if bytes > 0 {
		e.bytes += uint64(bytes)
	}
	if dropped > 0 {
		e.dropped += uint64(dropped)
	}
}
