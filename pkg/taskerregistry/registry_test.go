// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerregistry

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
)

// fakeHost is a host with the given extensions.
type fakeHost map[component.ID]component.Component

func (h fakeHost) GetExtensions() map[component.ID]component.Component { return h }

// fakeService records what reaches it.
type fakeService struct {
	plugins  []Plugin
	opts     []RegisterOptions
	sources  []SourceRegistration
	reports  []ExportReport
	syncs    []CacheSync
	released int
	err      error
}

type fakeReporter struct {
	s    *fakeService
	name string
}

func (r fakeReporter) Name() string                { return r.name }
func (r fakeReporter) ReportExport(e ExportReport) { r.s.reports = append(r.s.reports, e) }
func (r fakeReporter) ReportCacheSync(c CacheSync) { r.s.syncs = append(r.s.syncs, c) }
func (r fakeReporter) Unregister() error           { r.s.released++; return nil }

func (s *fakeService) RegisterPlugin(p Plugin, opts ...RegisterOption) (PluginReporter, error) {
	if s.err != nil {
		return nil, s.err
	}
	s.plugins = append(s.plugins, p)
	s.opts = append(s.opts, ApplyRegisterOptions(opts...))
	return fakeReporter{s: s, name: p.Name}, nil
}

func (s *fakeService) RegisterSource(r SourceRegistration, _ ...RegisterOption) (SourceReporter, error) {
	if s.err != nil {
		return nil, s.err
	}
	s.sources = append(s.sources, r)
	return fakeReporter{s: s, name: r.Name}, nil
}

type provider struct {
	component.StartFunc
	component.ShutdownFunc
	s *fakeService
}

func (p provider) TaskerRegistry() Service { return p.s }

type otherExt struct {
	component.StartFunc
	component.ShutdownFunc
}

func TestFind(t *testing.T) {
	a, b := &fakeService{}, &fakeService{}
	idA := component.MustNewID("tasker_registry")
	idB := component.MustNewIDWithName("tasker_registry", "b")
	other := component.MustNewID("health_check")

	// No registry: nil, no error.
	r, err := Find(componenttest.NewNopHost(), nil)
	require.NoError(t, err)
	assert.Nil(t, r)
	r, err = Find(nil, nil)
	require.NoError(t, err)
	assert.Nil(t, r)
	_, err = Find(nil, &idA)
	require.Error(t, err)

	one := fakeHost(map[component.ID]component.Component{idA: provider{s: a}, other: otherExt{}})
	r, err = Find(one, nil)
	require.NoError(t, err)
	assert.Same(t, a, r.svc)
	r, err = Find(one, &idA)
	require.NoError(t, err)
	assert.Same(t, a, r.svc)

	// Configured id missing.
	_, err = Find(one, &idB)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `registry "tasker_registry/b": no such extension is running`)

	// Configured id of the wrong type.
	_, err = Find(one, &other)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `registry "health_check": extension is a taskerregistry.otherExt, not a tasker_registry extension`)

	// Several: ambiguous unless chosen.
	two := fakeHost(map[component.ID]component.Component{idA: provider{s: a}, idB: provider{s: b}})
	_, err = Find(two, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "several tasker_registry extensions are running (tasker_registry, tasker_registry/b)")
	r, err = Find(two, &idB)
	require.NoError(t, err)
	assert.Same(t, b, r.svc)
}

func TestNilRegistryAndHandles(t *testing.T) {
	var r *Registry
	h, err := r.Register(Plugin{Name: "x", Formats: []string{"csv"}}, WithShared())
	require.NoError(t, err)
	assert.Nil(t, h)
	h.ReportExport(ExportReport{Items: 1})
	assert.Empty(t, h.Name())
	require.NoError(t, h.Unregister())

	sh, err := r.RegisterMetricsSource(SourceRegistration{Name: "s"})
	require.NoError(t, err)
	assert.Nil(t, sh)
	sh.ReportCacheSync(CacheSync{SeriesCount: 1})
	assert.Empty(t, sh.Name())
	require.NoError(t, sh.Unregister())
	assert.Nil(t, NewRegistry(nil))
}

func TestRegistryForwards(t *testing.T) {
	s := &fakeService{}
	r := NewRegistry(s)
	h, err := r.Register(Plugin{Name: "p", Formats: []string{"csv"}}, WithShared(), WithReplace())
	require.NoError(t, err)
	assert.Equal(t, "p", h.Name())
	assert.Equal(t, []RegisterOptions{{Replace: true, Shared: true}}, s.opts)
	h.ReportExport(ExportReport{Items: 3, Signal: "logs"})
	require.Len(t, s.reports, 1)
	assert.Equal(t, 3, s.reports[0].Items)
	require.NoError(t, h.Unregister())

	sh, err := r.RegisterMetricsSource(SourceRegistration{Name: "src"})
	require.NoError(t, err)
	assert.Equal(t, "src", sh.Name())
	sh.ReportCacheSync(CacheSync{SeriesCount: 7})
	require.Len(t, s.syncs, 1)
	assert.Equal(t, 7, s.syncs[0].SeriesCount)
	require.NoError(t, sh.Unregister())
	assert.Equal(t, 2, s.released)

	// A refused registration gives no handle and the service's error.
	s.err = ErrAlreadyRegistered
	h, err = r.Register(Plugin{Name: "p"})
	assert.Nil(t, h)
	assert.True(t, errors.Is(err, ErrAlreadyRegistered))
	sh, err = r.RegisterMetricsSource(SourceRegistration{Name: "src"})
	assert.Nil(t, sh)
	assert.True(t, errors.Is(err, ErrAlreadyRegistered))
}

func TestNormalizeEventName(t *testing.T) {
	assert.Equal(t, EventExportFailed, NormalizeEventName("export_failed"))
	assert.Equal(t, EventCacheSynced, NormalizeEventName(EventCacheSynced))
	assert.Empty(t, NormalizeEventName("nope"))
}
