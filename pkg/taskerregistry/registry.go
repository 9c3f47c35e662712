// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerregistry

import (
	"fmt"
	"sort"
	"strings"

	"go.opentelemetry.io/collector/component"
)

// ExtensionType is the component type of the extension that implements the registry.
const ExtensionType = "tasker_registry"

// Service is the registry side of the contract, implemented by the tasker_registry
// extension's registry (and by anything that stands in for it, e.g. in tests).
// Components do not call it: they use the *Registry that Find returns.
type Service interface {
	// RegisterPlugin validates p and adds it (see Plugin; errors: a *ValidationError,
	// ErrAlreadyRegistered). It emits tasker.telemetry.plugin_registered.
	RegisterPlugin(p Plugin, opts ...RegisterOption) (PluginReporter, error)
	// RegisterSource registers the source of on-demand exports (ErrAlreadyRegistered for
	// a duplicate name unless WithReplace).
	RegisterSource(s SourceRegistration, opts ...RegisterOption) (SourceReporter, error)
}

// PluginReporter is the Service's side of a plugin registration.
type PluginReporter interface {
	Name() string
	ReportExport(ExportReport)
	Unregister() error
}

// SourceReporter is the Service's side of a metrics source registration.
type SourceReporter interface {
	Name() string
	ReportCacheSync(CacheSync)
	Unregister() error
}

// Provider is implemented by the tasker_registry extension: Find looks for it among the
// host's extensions.
type Provider interface {
	TaskerRegistry() Service
}

// RegisterOptions are what the RegisterOptions given to a registration set.
type RegisterOptions struct {
	// Replace: see WithReplace.
	Replace bool
	// Shared: see WithShared.
	Shared bool
}

// RegisterOption changes how Register and RegisterMetricsSource behave.
type RegisterOption func(*RegisterOptions)

// ApplyRegisterOptions returns what opts set (for implementations of Service).
func ApplyRegisterOptions(opts ...RegisterOption) RegisterOptions {
	var o RegisterOptions
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithReplace replaces a plugin (or source) already registered under the same name
// instead of refusing the registration (Tasker's replace: true). The replaced plugin's
// handle goes stale: its reports are ignored.
func WithReplace() RegisterOption { return func(o *RegisterOptions) { o.Replace = true } }

// WithShared lets several instances of one component share one plugin: the collector
// makes an exporter instance per signal (metrics, logs, traces), and each registers from
// its Start. The first shared registration creates the plugin; the next ones with the
// same name, component id and formats join it (their other fields and Implementation are
// ignored: pass the same in every instance) and get their own handle. Reports from any
// handle count for the plugin; it is unregistered when the last handle unregisters.
// Ignored by RegisterMetricsSource.
func WithShared() RegisterOption { return func(o *RegisterOptions) { o.Shared = true } }

// Registry is the registry a component found with Find. A nil *Registry accepts
// registrations and ignores them (Register and RegisterMetricsSource return a nil handle
// and no error).
type Registry struct{ svc Service }

// NewRegistry wraps a Service (Find does it for the extension found).
func NewRegistry(svc Service) *Registry {
	if svc == nil {
		return nil
	}
	return &Registry{svc: svc}
}

// Register adds a plugin; see Service.RegisterPlugin. The returned handle reports the
// plugin's exports and unregisters it.
func (r *Registry) Register(p Plugin, opts ...RegisterOption) (*PluginHandle, error) {
	if r == nil {
		return nil, nil
	}
	rep, err := r.svc.RegisterPlugin(p, opts...)
	return wrap(rep, err, func(rep PluginReporter) *PluginHandle { return &PluginHandle{rep: rep} })
}

// RegisterMetricsSource registers the source of on-demand exports (the tasker_cache
// processor's aggregate). Call the handle's Unregister from the component's Shutdown.
func (r *Registry) RegisterMetricsSource(s SourceRegistration, opts ...RegisterOption) (*SourceHandle, error) {
	if r == nil {
		return nil, nil
	}
	rep, err := r.svc.RegisterSource(s, opts...)
	return wrap(rep, err, func(rep SourceReporter) *SourceHandle { return &SourceHandle{rep: rep} })
}

// wrap makes the handle of a registration the Service accepted (none for a refused one).
func wrap[R comparable, H any](rep R, err error, handle func(R) *H) (*H, error) {
	var none R
	if err != nil || rep == none {
		return nil, err
	}
	return handle(rep), nil
}

// PluginHandle is what a plugin gets back from Register. The methods of a nil
// *PluginHandle do nothing. A handle whose plugin was unregistered or replaced does
// nothing either.
type PluginHandle struct{ rep PluginReporter }

func (h *PluginHandle) get() PluginReporter {
	if h == nil {
		return nop{}
	}
	return h.rep
}

// Name is the plugin's name in the registry.
func (h *PluginHandle) Name() string { return h.get().Name() }

// ReportExport records one export: it updates the plugin's stats and emits
// tasker.telemetry.export_completed or tasker.telemetry.export_failed.
func (h *PluginHandle) ReportExport(rep ExportReport) { h.get().ReportExport(rep) }

// Unregister removes the plugin, if it is still the one registered under its name, and
// emits tasker.telemetry.plugin_unregistered; a shared plugin is removed when its last
// handle unregisters. Calling it again does nothing. Call it from the component's Shutdown.
func (h *PluginHandle) Unregister() error { return h.get().Unregister() }

// SourceHandle is what a metrics source gets back from RegisterMetricsSource. The
// methods of a nil *SourceHandle do nothing.
type SourceHandle struct{ rep SourceReporter }

// ReportCacheSync records a sync: it updates /v1/stats and emits
// tasker.telemetry.cache_synced.
func (h *SourceHandle) ReportCacheSync(s CacheSync) { h.reporter().ReportCacheSync(s) }

// Unregister removes the source, if it is still the one registered under its name.
func (h *SourceHandle) Unregister() error { return h.reporter().Unregister() }

// Name is the source's name in the registry.
func (h *SourceHandle) Name() string { return h.reporter().Name() }

func (h *SourceHandle) reporter() SourceReporter {
	if h != nil {
		return h.rep
	}
	return nop{}
}

// nop is the reporter of a nil handle.
type nop struct{}

func (nop) Name() string              { return "" }
func (nop) ReportExport(ExportReport) {}
func (nop) ReportCacheSync(CacheSync) {}
func (nop) Unregister() error         { return nil }

// Find returns the registry a component should use, from the component's Start:
//   - id set (the component's `registry: tasker_registry/x` option): that extension; an
//     error if it is not among the host's extensions (not configured, or not listed in
//     service::extensions) or is not a tasker_registry;
//   - id nil: the only tasker_registry extension of the host; nil and no error when there
//     is none (the component works without a registry; see Registry); an error when
//     there are several.
func Find(host component.Host, id *component.ID) (*Registry, error) {
	if host == nil {
		if id != nil {
			return nil, fmt.Errorf("registry %q: no host to look it up in", id.String())
		}
		return nil, nil
	}
	exts := host.GetExtensions()
	if id != nil {
		ext, ok := exts[*id]
		if !ok {
			return nil, fmt.Errorf("registry %q: no such extension is running; configure it under extensions and list it in service::extensions", id.String())
		}
		svc := service(ext)
		if svc == nil {
			return nil, fmt.Errorf("registry %q: extension is a %T, not a %s extension", id.String(), ext, ExtensionType)
		}
		return NewRegistry(svc), nil
	}
	var found []component.ID
	var reg Service
	for eid, ext := range exts {
		if svc := service(ext); svc != nil {
			found = append(found, eid)
			reg = svc
		}
	}
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		return NewRegistry(reg), nil
	}
	names := make([]string, len(found))
	for i, f := range found {
		names[i] = f.String()
	}
	sort.Strings(names)
	return nil, fmt.Errorf("several %s extensions are running (%s): choose one with the component's registry option", ExtensionType, strings.Join(names, ", "))
}

func service(ext component.Component) Service {
	if p, ok := ext.(Provider); ok {
		return p.TaskerRegistry()
	}
	return nil
}
