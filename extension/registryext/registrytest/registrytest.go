// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package registrytest gives components' tests a real tasker_registry: started
// extensions (made by registryext.NewFactory, listening on free loopback ports) in a
// component.Host, a fixed metrics source, and the checks of a component that registers
// (CheckFind, CheckSharedPlugin, CheckFailedExport); and headless Chromium for the
// status page tests (DOM, Find, Attr, Text, Screenshot; the screenshots go to
// $TASKER_TEST_ARTIFACTS, default $TMPDIR/otelcol-tasker-artifacts).
package registrytest // import "github.com/tasker-systems/otelcol-tasker/extension/registryext/registrytest"

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/extension/registryext"
	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// Host is a component.Host whose extensions are the started registries.
type Host struct {
	component.Host
	Exts map[component.ID]component.Component
}

// GetExtensions implements component.Host.
func (h Host) GetExtensions() map[component.ID]component.Component { return h.Exts }

// NewHost starts a tasker_registry extension for every name ("" is the extension without
// a name), shut down when the test ends, and returns a host that has them.
func NewHost(t testing.TB, names ...string) Host {
	t.Helper()
	f := registryext.NewFactory()
	h := Host{Host: componenttest.NewNopHost(), Exts: map[component.ID]component.Component{}}
	for _, name := range names {
		cfg := f.CreateDefaultConfig().(*registryext.Config)
		cfg.ServerConfig.NetAddr.Endpoint = "127.0.0.1:0"
		set := extensiontest.NewNopSettings(f.Type())
		set.ID = component.NewIDWithName(f.Type(), name)
		ext, err := f.Create(context.Background(), set, cfg)
		require.NoError(t, err)
		require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
		t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) })
		h.Exts[set.ID] = ext
	}
	return h
}

// NewHostRegistries is NewHost, with the registries of the extensions, in the order of
// names.
func NewHostRegistries(t testing.TB, names ...string) (Host, []*registryext.Registry) {
	t.Helper()
	h := NewHost(t, names...)
	regs := make([]*registryext.Registry, len(names))
	for i, name := range names {
		regs[i] = Registry(t, h, component.NewIDWithName(registryext.NewFactory().Type(), name))
	}
	return h, regs
}

// Registry returns the registry of the host's extension id (the extension's own
// *registryext.Registry, to inspect its events, stats and on-demand exports).
func Registry(t testing.TB, h Host, id component.ID) *registryext.Registry {
	t.Helper()
	ext, ok := h.GetExtensions()[id].(interface{ Registry() *registryext.Registry })
	require.Truef(t, ok, "%s is not a tasker_registry extension of the host", id)
	require.NotNil(t, ext.Registry())
	return ext.Registry()
}

// StaticSource is a metrics source with a fixed aggregate (stands for tasker_cache).
type StaticSource struct{ MD pmetric.Metrics }

// Snapshot implements taskerregistry.MetricsSource.
func (s StaticSource) Snapshot(context.Context) (pmetric.Metrics, error) { return s.MD, nil }

// Info implements taskerregistry.MetricsSource.
func (s StaticSource) Info() taskerregistry.SourceInfo {
	return taskerregistry.SourceInfo{Strategy: "local_only", SeriesCount: s.MD.DataPointCount()}
}
