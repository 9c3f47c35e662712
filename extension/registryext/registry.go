// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.uber.org/zap"
)

// DefaultMaxEvents is the default capacity of the event ring.
const DefaultMaxEvents = 1000

// Errors returned by the registry; match them with errors.Is.
var (
	// ErrAlreadyRegistered: a plugin or source of that name exists and replace was not asked.
	ErrAlreadyRegistered = errors.New("tasker_registry: already registered")
	// ErrNotFound: no plugin or source of that name.
	ErrNotFound = errors.New("tasker_registry: not found")
)

// Options configure a Registry made with New.
type Options struct {
	// MaxEvents is the capacity of the event ring; <= 0 means DefaultMaxEvents.
	MaxEvents int
	// Logger; nil means no logging.
	Logger *zap.Logger
	// ComponentID of the extension that owns the registry: the built-in prometheus
	// plugin's component id, and the registry_id of every event payload.
	ComponentID component.ID
	// Version of the built-in prometheus plugin; empty means DefaultPluginVersion.
	Version string
	// Prometheus configures the built-in prometheus plugin.
	Prometheus PrometheusOptions
	// NoBuiltinPrometheus leaves the built-in prometheus plugin out (GET /metrics then uses
	// whatever plugin is registered for the prometheus format).
	NoBuiltinPrometheus bool
}

// Registry is the plugin registry. It is safe for concurrent use. A nil *Registry accepts
// registrations and ignores them (Register and RegisterMetricsSource return a nil handle
// and no error), so a component that found no registry needs no checks.
type Registry struct {
	logger  *zap.Logger
	id      component.ID
	version string // of the distribution (the built-in plugin's version)
	now     func() time.Time

	mu          sync.RWMutex // guards the maps and slices below
	plugins     map[string]*pluginEntry
	order       []*pluginEntry // registration order (a replaced plugin keeps its place)
	sources     map[string]*sourceEntry
	sourceOrder []*sourceEntry

	statsMu sync.Mutex // guards the stats fields of entries; never held with mu
	events  *eventRing

	// onEvent, when set (by the extension, at creation), is told of every recorded event.
	onEvent func(e Event, evicted bool)
	// onDropped, when set (by the extension, at creation), is told of every export that
	// left points out.
	onDropped func(plugin string, res Result)
}

type pluginEntry struct {
	p          Plugin
	enc        Encoder
	obs        Observer
	class      string
	builtin    bool
	registered time.Time
	shared     bool
	refs       atomic.Int32 // handles of a shared plugin; changed under Registry.mu

	// guarded by Registry.statsMu
	exports, failures, items, bytes, dropped uint64
	lastExport                               time.Time
	lastDur                                  time.Duration
	hasLast                                  bool
	lastErr                                  string
	lastErrAt                                time.Time
	lastDropped                              int       // dropped points last logged
	lastDropLog                              time.Time // when
}

// PluginInfo describes a registered plugin (GET /v1/plugins).
type PluginInfo struct {
	Name          string   `json:"name"`
	Version       string   `json:"version"`
	Description   string   `json:"description"`
	Formats       []string `json:"formats"`
	ComponentID   string   `json:"component_id"`
	ComponentKind string   `json:"component_kind"`
	PluginClass   string   `json:"plugin_class"`
	Encoder       bool     `json:"encoder"`
	Observer      bool     `json:"observer"`
	Builtin       bool     `json:"builtin"`
	// Instances is the number of component instances sharing the plugin (WithShared), 1
	// otherwise.
	Instances    int               `json:"instances"`
	Options      map[string]string `json:"options"`
	RegisteredAt time.Time         `json:"registered_at"`
	Stats        PluginStats       `json:"stats"`
}

// PluginStats counts a plugin's exports: those it reported (ReportExport) and the
// on-demand encodings it did (Export, /v1/export, /metrics). Items and Bytes sum the
// successful exports.
type PluginStats struct {
	Exports        uint64     `json:"exports"`
	Failures       uint64     `json:"failures"`
	Items          uint64     `json:"items"`
	Bytes          uint64     `json:"bytes"`
	Dropped        uint64     `json:"dropped"`
	LastExport     *time.Time `json:"last_export"`
	LastDurationMs *float64   `json:"last_duration_ms"`
	LastError      *string    `json:"last_error"`
	LastErrorAt    *time.Time `json:"last_error_at"`
}

// Stats is the registry's state (GET /v1/stats; Tasker's PluginRegistry#stats plus
// per-plugin counts and the metrics sources' cache state).
type Stats struct {
	TotalPlugins      int                    `json:"total_plugins"`
	TotalFormats      int                    `json:"total_formats"`
	SupportedFormats  []string               `json:"supported_formats"`
	ExportableFormats []string               `json:"exportable_formats"`
	PluginsByFormat   map[string][]string    `json:"plugins_by_format"`
	Plugins           map[string]PluginStats `json:"plugins"`
	MetricsSources    []SourceStats          `json:"metrics_sources"`
	Events            EventStats             `json:"events"`
}

// RegisterOption changes how Register and RegisterMetricsSource behave.
type RegisterOption func(*registerOptions)

type registerOptions struct{ replace, shared bool }

// WithReplace replaces a plugin (or source) already registered under the same name
// instead of refusing the registration (Tasker's replace: true). The replaced plugin's
// handle goes stale: its reports are ignored.
func WithReplace() RegisterOption { return func(o *registerOptions) { o.replace = true } }

// WithShared lets several instances of one component share one plugin: the collector
// makes an exporter instance per signal (metrics, logs, traces), and each registers from
// its Start. The first shared registration creates the plugin; the next ones with the
// same name, component id and formats join it (their other fields and Implementation are
// ignored: pass the same in every instance) and get their own handle. Reports from any
// handle count for the plugin; it is unregistered when the last handle unregisters.
// Ignored by RegisterMetricsSource.
func WithShared() RegisterOption { return func(o *registerOptions) { o.shared = true } }

// New makes a registry. Unless opts.NoBuiltinPrometheus, the built-in prometheus plugin
// is registered first (event sequence 1).
func New(opts Options) *Registry {
	return newRegistry(opts, nil)
}

func newRegistry(opts Options, onEvent func(Event, bool)) *Registry {
	logger := opts.Logger
	if logger == nil {
		logger = zap.NewNop()
	}
	maxEvents := opts.MaxEvents
	if maxEvents <= 0 {
		maxEvents = DefaultMaxEvents
	}
	r := &Registry{
		logger:  logger,
		id:      opts.ComponentID,
		now:     time.Now,
		plugins: make(map[string]*pluginEntry),
		sources: make(map[string]*sourceEntry),
		events:  newEventRing(maxEvents),
		onEvent: onEvent,
		version: opts.Version,
	}
	if r.version == "" {
		r.version = DefaultPluginVersion
	}
	if !opts.NoBuiltinPrometheus {
		version := opts.Version
		if version == "" {
			version = DefaultPluginVersion
		}
		p := Plugin{
			Name:           PrometheusPluginName,
			Version:        version,
			Description:    "Prometheus text 0.0.4 and OpenMetrics 1.0.0 (built in): valid names, cumulative buckets, target_info",
			Formats:        []string{FormatPrometheus},
			ComponentID:    opts.ComponentID,
			Kind:           component.KindExtension,
			Implementation: NewPrometheusEncoder(opts.Prometheus),
		}
		if opts.ComponentID == (component.ID{}) {
			p.Kind = component.Kind{}
		}
		if _, err := r.register(p, registerOptions{}, true); err != nil {
			// The built-in plugin is valid by construction.
			panic(err)
		}
	}
	return r
}

// Register adds a plugin. It validates the plugin first (see Plugin) and refuses an
// invalid one with a *ValidationError, and a duplicate name with ErrAlreadyRegistered
// unless WithReplace is given. It emits tasker.telemetry.plugin_registered.
//
// The returned handle reports the plugin's exports and unregisters it.
func (r *Registry) Register(p Plugin, opts ...RegisterOption) (*PluginHandle, error) {
	if r == nil {
		return nil, nil
	}
	var o registerOptions
	for _, opt := range opts {
		opt(&o)
	}
	return r.register(p, o, false)
}

func (r *Registry) register(p Plugin, o registerOptions, builtin bool) (*PluginHandle, error) {
	np, err := validatePlugin(p)
	if err != nil {
		r.logger.Warn("Plugin refused", zap.Error(err))
		return nil, err
	}
	e := &pluginEntry{p: np, builtin: builtin, registered: r.now()}
	e.enc, _ = np.Implementation.(Encoder)
	e.obs, _ = np.Implementation.(Observer)
	if np.Implementation != nil {
		e.class = fmt.Sprintf("%T", np.Implementation)
	}

	e.shared = o.shared
	e.refs.Store(1)

	r.mu.Lock()
	old, exists := r.plugins[np.Name]
	if exists && o.shared && !o.replace && old.shared {
		if old.p.ComponentID != np.ComponentID || !slices.Equal(old.p.Formats, np.Formats) {
			r.mu.Unlock()
			return nil, fmt.Errorf("%w: plugin %q is registered (shared) by component %q with formats %v; a shared registration must have the same component id and formats", ErrAlreadyRegistered, np.Name, old.p.ComponentID.String(), old.p.Formats)
		}
		old.refs.Add(1)
		r.mu.Unlock()
		return &PluginHandle{r: r, e: old}, nil
	}
	if exists && !o.replace {
		r.mu.Unlock()
		return nil, fmt.Errorf("%w: plugin %q already registered; register it with WithReplace() (replace: true) to override", ErrAlreadyRegistered, np.Name)
	}
	if exists {
		for i, x := range r.order {
			if x == old {
				r.order[i] = e
				break
			}
		}
	} else {
		r.order = append(r.order, e)
	}
	r.plugins[np.Name] = e
	options := map[string]any{"replace": o.replace, "shared": o.shared}
	for k, v := range np.Options {
		if k != "replace" && k != "shared" {
			options[k] = v
		}
	}
	payload := map[string]any{
		"plugin_name":    np.Name,
		"plugin_class":   e.class,
		"plugin_version": np.Version,
		"formats":        append([]string(nil), np.Formats...),
		"options":        options,
		"replaced":       exists,
	}
	addComponent(payload, np.ComponentID, np.Kind)
	ev := r.emitLocked(EventPluginRegistered, payload)
	r.mu.Unlock()

	r.logger.Info("Plugin registered", zap.String("plugin", np.Name), zap.Strings("formats", np.Formats), zap.Bool("replaced", exists))
	r.notify(ev)
	return &PluginHandle{r: r, e: e}, nil
}

// Unregister removes the plugin registered under name (ErrNotFound if none) and emits
// tasker.telemetry.plugin_unregistered.
func (r *Registry) Unregister(name string) error {
	if r == nil {
		return nil
	}
	return r.unregister(name, nil)
}

func (r *Registry) unregister(name string, only *pluginEntry) error {
	r.mu.Lock()
	e, ok := r.plugins[name]
	if !ok || (only != nil && e != only) {
		r.mu.Unlock()
		if only != nil {
			return nil // stale handle: the plugin was replaced or removed already
		}
		return fmt.Errorf("%w: plugin %q is not registered", ErrNotFound, name)
	}
	if only != nil && e.shared {
		if e.refs.Add(-1) > 0 {
			r.mu.Unlock()
			return nil
		}
	}
	delete(r.plugins, name)
	for i, x := range r.order {
		if x == e {
			r.order = append(r.order[:i], r.order[i+1:]...)
			break
		}
	}
	payload := map[string]any{"plugin_name": name, "plugin_class": e.class}
	addComponent(payload, e.p.ComponentID, e.p.Kind)
	ev := r.emitLocked(EventPluginUnregistered, payload)
	r.mu.Unlock()
	r.logger.Info("Plugin unregistered", zap.String("plugin", name))
	r.notify(ev)
	return nil
}

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

// emitLocked records an event; r.mu may be held (the ring has its own lock, taken after).
func (r *Registry) emitLocked(name string, payload map[string]any) Event {
	now := r.now().UTC()
	payload["timestamp"] = now.Format(time.RFC3339Nano)
	if r.id != (component.ID{}) {
		payload["registry_id"] = r.id.String()
	}
	ev, evicted := r.events.add(Event{Name: name, Timestamp: now, Payload: payload})
	if r.onEvent != nil {
		r.onEvent(ev, evicted)
	}
	return ev
}

// emit records an event and tells the observers.
func (r *Registry) emit(name string, payload map[string]any) Event {
	ev := r.emitLocked(name, payload)
	r.notify(ev)
	return ev
}

// notify calls every observer plugin; must be called without r.mu held.
func (r *Registry) notify(ev Event) {
	r.mu.RLock()
	var obs []*pluginEntry
	for _, e := range r.order {
		if e.obs != nil {
			obs = append(obs, e)
		}
	}
	r.mu.RUnlock()
	for _, e := range obs {
		r.callObserver(e, ev)
	}
}

func (r *Registry) callObserver(e *pluginEntry, ev Event) {
	defer func() {
		if p := recover(); p != nil {
			r.logger.Error("Plugin observer panicked", zap.String("plugin", e.p.Name), zap.String("event", ev.Name), zap.Any("panic", p))
		}
	}()
	e.obs.OnEvent(ev)
}

func addComponent(payload map[string]any, id component.ID, kind component.Kind) {
	if id != (component.ID{}) {
		payload["component_id"] = id.String()
	}
	if k := kindName(kind); k != "" {
		payload["component_kind"] = k
	}
}

func durationMs(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

// newID returns a random RFC 4122 version 4 UUID.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// ---- plugin handles and reports ----

// ExportReport is one export done by a plugin in its pipeline (a batch written by a file
// exporter, say).
type ExportReport struct {
	// Format exported; empty means the plugin's first format.
	Format string
	// Items exported (data points, log records or spans).
	Items int
	// Bytes written.
	Bytes int64
	// Duration of the export.
	Duration time.Duration
	// Err is nil for a successful export.
	Err error
	// ExportID identifies the export in the event; empty means a new random id.
	ExportID string
	// Signal exported ("metrics", "logs", "traces"); optional, shown in the event.
	Signal string
}

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
func (h *PluginHandle) ReportExport(rep ExportReport) {
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

func (r *Registry) reportExport(e *pluginEntry, rep ExportReport) {
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
	name := EventExportCompleted
	if rep.Err != nil {
		name = EventExportFailed
		payload["error"] = rep.Err.Error()
	} else {
		payload["metrics_count"] = rep.Items
		payload["bytes"] = rep.Bytes
	}
	r.emit(name, payload)
}

// ---- metrics sources ----

// RegisterMetricsSource registers the source of on-demand exports (the tasker_cache
// processor's aggregate). A duplicate name is refused with ErrAlreadyRegistered unless
// WithReplace is given. Call the handle's Unregister from the component's Shutdown.
func (r *Registry) RegisterMetricsSource(s SourceRegistration, opts ...RegisterOption) (*SourceHandle, error) {
	if r == nil {
		return nil, nil
	}
	var o registerOptions
	for _, opt := range opts {
		opt(&o)
	}
	name := s.Name
	if name == "" && s.ComponentID != (component.ID{}) {
		name = s.ComponentID.String()
	}
	var problems []string
	switch {
	case name == "":
		problems = append(problems, "name is empty (set Name or ComponentID)")
	case len(name) > maxNameLen || !validName(name):
		problems = append(problems, fmt.Sprintf("name %q may contain only letters, digits and _ . - / (at most %d bytes), and must start with a letter or digit", name, maxNameLen))
	}
	if s.Source == nil {
		problems = append(problems, "Source is nil")
	}
	if len(problems) > 0 {
		return nil, &ValidationError{Plugin: name, Problems: problems}
	}
	e := &sourceEntry{name: name, id: s.ComponentID, src: s.Source, registered: r.now()}
	r.mu.Lock()
	old, exists := r.sources[name]
	if exists && !o.replace {
		r.mu.Unlock()
		return nil, fmt.Errorf("%w: metrics source %q already registered; register it with WithReplace() to override", ErrAlreadyRegistered, name)
	}
	if exists {
		for i, x := range r.sourceOrder {
			if x == old {
				r.sourceOrder[i] = e
				break
			}
		}
	} else {
		r.sourceOrder = append(r.sourceOrder, e)
	}
	r.sources[name] = e
	r.mu.Unlock()
	r.logger.Info("Metrics source registered", zap.String("source", name), zap.Bool("replaced", exists))
	return &SourceHandle{r: r, e: e}, nil
}

// UnregisterMetricsSource removes the source registered under name (ErrNotFound if none).
func (r *Registry) UnregisterMetricsSource(name string) error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	e, ok := r.sources[name]
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: metrics source %q is not registered", ErrNotFound, name)
	}
	return r.unregisterSource(e)
}

func (r *Registry) unregisterSource(e *sourceEntry) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sources[e.name] != e {
		return nil
	}
	delete(r.sources, e.name)
	for i, x := range r.sourceOrder {
		if x == e {
			r.sourceOrder = append(r.sourceOrder[:i], r.sourceOrder[i+1:]...)
			break
		}
	}
	return nil
}

// MetricsSources returns the names of the registered sources, in registration order.
func (r *Registry) MetricsSources() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, len(r.sourceOrder))
	for i, s := range r.sourceOrder {
		out[i] = s.name
	}
	return out
}

func (r *Registry) reportCacheSync(e *sourceEntry, s CacheSync) {
	r.mu.RLock()
	current := r.sources[e.name] == e
	r.mu.RUnlock()
	if !current {
		return
	}
	at := s.Time
	if at.IsZero() {
		at = r.now()
	}
	strategy := s.Strategy
	if strategy == "" {
		strategy = safeInfo(e.src).Strategy
	}
	r.statsMu.Lock()
	e.reported = true
	e.syncs++
	e.lastSync, e.lastSyncOK, e.lastSyncDur = at, s.Err == nil, s.Duration
	e.lastSyncStrategy, e.lastSyncSeries = strategy, s.SeriesCount
	if s.Err != nil {
		e.syncFailures++
		e.lastSyncErr = s.Err.Error()
	} else {
		e.lastSyncErr = ""
	}
	if s.LockHolder != "" {
		e.lockHolder = s.LockHolder
	}
	r.statsMu.Unlock()

	payload := map[string]any{
		"strategy":      strategy,
		"metrics_count": s.SeriesCount,
		"duration_ms":   durationMs(s.Duration),
		"success":       s.Err == nil,
		"source":        e.name,
		"synced_at":     at.UTC().Format(time.RFC3339Nano),
	}
	if s.LockHolder != "" {
		payload["lock_holder"] = s.LockHolder
	}
	if s.Err != nil {
		payload["error"] = s.Err.Error()
	}
	addComponent(payload, e.id, component.KindProcessor)
	if e.id == (component.ID{}) {
		delete(payload, "component_kind")
	}
	r.emit(EventCacheSynced, payload)
}

// safeInfo calls Info, turning a panic into an empty SourceInfo.
func safeInfo(src MetricsSource) (info SourceInfo) {
	defer func() {
		if recover() != nil {
			info = SourceInfo{}
		}
	}()
	return src.Info()
}

func (r *Registry) sourceStats(e *sourceEntry) SourceStats {
	info := safeInfo(e.src)
	st := SourceStats{
		Name:         e.name,
		Strategy:     info.Strategy,
		Capabilities: info.Capabilities,
		SeriesCount:  info.SeriesCount,
		LockHolder:   info.LockHolder,
		RegisteredAt: e.registered.UTC(),
	}
	if e.id != (component.ID{}) {
		st.ComponentID = e.id.String()
	}
	r.statsMu.Lock()
	defer r.statsMu.Unlock()
	st.Syncs, st.SyncFailures, st.SnapshotFailures = e.syncs, e.syncFailures, e.snapFailures
	if st.Strategy == "" {
		st.Strategy = e.lastSyncStrategy
	}
	if st.LockHolder == "" {
		st.LockHolder = e.lockHolder
	}
	last := info.LastSync
	if e.reported {
		if last.IsZero() || e.lastSync.After(last) {
			last = e.lastSync
		}
		ok, ms := e.lastSyncOK, durationMs(e.lastSyncDur)
		st.LastSyncSuccess, st.LastSyncDurationMs = &ok, &ms
		if e.lastSyncErr != "" {
			msg := e.lastSyncErr
			st.LastSyncError = &msg
		}
	}
	if !last.IsZero() {
		t := last.UTC()
		st.LastSync = &t
	}
	if e.lastSnapErr != "" {
		msg, t := e.lastSnapErr, e.lastSnapErrAt.UTC()
		st.LastSnapshotError, st.LastSnapshotErrorTime = &msg, &t
	}
	return st
}
