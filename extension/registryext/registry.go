// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/internal/codec/promtext"
	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// The built-in prometheus plugin (internal/codec/promtext).
const (
	PrometheusPluginName = "prometheus"
	FormatPrometheus     = promtext.Format
)

// DefaultMaxEvents is the default capacity of the event ring.
const DefaultMaxEvents = 1000

// Errors returned by the registry; match them with errors.Is.
var (
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
	Prometheus promtext.Options
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
	onEvent func(e taskerregistry.Event, evicted bool)
	// onDropped, when set (by the extension, at creation), is told of every export that
	// left points out.
	onDropped func(plugin string, res taskerregistry.Result)
}

type pluginEntry struct {
	p          taskerregistry.Plugin
	enc        taskerregistry.Encoder
	obs        taskerregistry.Observer
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

// New makes a registry. Unless opts.NoBuiltinPrometheus, the built-in prometheus plugin
// is registered first (event sequence 1).
func New(opts Options) *Registry {
	return newRegistry(opts, nil)
}

func newRegistry(opts Options, onEvent func(taskerregistry.Event, bool)) *Registry {
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
		r.version = taskerregistry.DefaultPluginVersion
	}
	if !opts.NoBuiltinPrometheus {
		version := opts.Version
		if version == "" {
			version = taskerregistry.DefaultPluginVersion
		}
		p := taskerregistry.Plugin{
			Name:           PrometheusPluginName,
			Version:        version,
			Description:    "Prometheus text 0.0.4 and OpenMetrics 1.0.0 (built in): valid names, cumulative buckets, target_info",
			Formats:        []string{FormatPrometheus},
			ComponentID:    opts.ComponentID,
			Kind:           component.KindExtension,
			Implementation: promtext.NewEncoder(opts.Prometheus),
		}
		if opts.ComponentID == (component.ID{}) {
			p.Kind = component.Kind{}
		}
		if _, err := r.register(p, taskerregistry.RegisterOptions{}, true); err != nil {
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
func (r *Registry) Register(p taskerregistry.Plugin, opts ...taskerregistry.RegisterOption) (*PluginHandle, error) {
	if r == nil {
		return nil, nil
	}
	return r.register(p, taskerregistry.ApplyRegisterOptions(opts...), false)
}

// RegisterPlugin is Register for taskerregistry.Service.
func (r *Registry) RegisterPlugin(p taskerregistry.Plugin, opts ...taskerregistry.RegisterOption) (taskerregistry.PluginReporter, error) {
	h, err := r.Register(p, opts...)
	if h == nil {
		return nil, err
	}
	return h, err
}

// RegisterSource is RegisterMetricsSource for taskerregistry.Service.
func (r *Registry) RegisterSource(s taskerregistry.SourceRegistration, opts ...taskerregistry.RegisterOption) (taskerregistry.SourceReporter, error) {
	h, err := r.RegisterMetricsSource(s, opts...)
	if h == nil {
		return nil, err
	}
	return h, err
}

func (r *Registry) register(p taskerregistry.Plugin, o taskerregistry.RegisterOptions, builtin bool) (*PluginHandle, error) {
	np, err := validatePlugin(p)
	if err != nil {
		r.logger.Warn("Plugin refused", zap.Error(err))
		return nil, err
	}
	e := &pluginEntry{p: np, builtin: builtin, registered: r.now()}
	e.enc, _ = np.Implementation.(taskerregistry.Encoder)
	e.obs, _ = np.Implementation.(taskerregistry.Observer)
	if np.Implementation != nil {
		e.class = fmt.Sprintf("%T", np.Implementation)
	}

	e.shared = o.Shared
	e.refs.Store(1)

	r.mu.Lock()
	old, exists := r.plugins[np.Name]
	if exists && o.Shared && !o.Replace && old.shared {
		if old.p.ComponentID != np.ComponentID || !slices.Equal(old.p.Formats, np.Formats) {
			r.mu.Unlock()
			return nil, fmt.Errorf("%w: plugin %q is registered (shared) by component %q with formats %v; a shared registration must have the same component id and formats", taskerregistry.ErrAlreadyRegistered, np.Name, old.p.ComponentID.String(), old.p.Formats)
		}
		old.refs.Add(1)
		r.mu.Unlock()
		return &PluginHandle{r: r, e: old}, nil
	}
	if exists && !o.Replace {
		r.mu.Unlock()
		return nil, fmt.Errorf("%w: plugin %q already registered; register it with WithReplace() (replace: true) to override", taskerregistry.ErrAlreadyRegistered, np.Name)
	}
	r.order = replaceOrAppend(r.order, old, e)
	r.plugins[np.Name] = e
	options := map[string]any{"replace": o.Replace, "shared": o.Shared}
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
	ev := r.emitLocked(taskerregistry.EventPluginRegistered, payload)
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
	r.order = remove(r.order, e)
	payload := map[string]any{"plugin_name": name, "plugin_class": e.class}
	addComponent(payload, e.p.ComponentID, e.p.Kind)
	ev := r.emitLocked(taskerregistry.EventPluginUnregistered, payload)
	r.mu.Unlock()
	r.logger.Info("Plugin unregistered", zap.String("plugin", name))
	r.notify(ev)
	return nil
}

// emitLocked records an event; r.mu may be held (the ring has its own lock, taken after).
func (r *Registry) emitLocked(name string, payload map[string]any) taskerregistry.Event {
	now := r.now().UTC()
	payload["timestamp"] = now.Format(time.RFC3339Nano)
	if r.id != (component.ID{}) {
		payload["registry_id"] = r.id.String()
	}
	ev, evicted := r.events.add(taskerregistry.Event{Name: name, Timestamp: now, Payload: payload})
	if r.onEvent != nil {
		r.onEvent(ev, evicted)
	}
	return ev
}

// emit records an event and tells the observers.
func (r *Registry) emit(name string, payload map[string]any) taskerregistry.Event {
	ev := r.emitLocked(name, payload)
	r.notify(ev)
	return ev
}

// notify calls every observer plugin; must be called without r.mu held.
func (r *Registry) notify(ev taskerregistry.Event) {
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

func (r *Registry) callObserver(e *pluginEntry, ev taskerregistry.Event) {
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

// replaceOrAppend puts e where old is in order (a plugin or source replaced), or at
// the end when old is not in it (a new one).
func replaceOrAppend[T comparable](order []T, old, e T) []T {
	if i := slices.Index(order, old); i >= 0 {
		order[i] = e
		return order
	}
	return append(order, e)
}

// remove removes e from order.
func remove[T comparable](order []T, e T) []T {
	if i := slices.Index(order, e); i >= 0 {
		return slices.Delete(order, i, i+1)
	}
	return order
}

// namesOf returns name(x) for every x of xs.
func namesOf[T any](xs []T, name func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = name(x)
	}
	return out
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
