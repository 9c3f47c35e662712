// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registrytest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter"

	"github.com/tasker-systems/otelcol-tasker/extension/registryext"
	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// FindCase is an exporter that finds tasker_registry and registers with it at Start
// (taskerregistry.Find), as the file exporters do; see CheckFind.
type FindCase struct {
	// Factory makes the instances, with Settings, for Signal (metrics, logs or traces).
	Factory  exporter.Factory
	Settings exporter.Settings
	Signal   string
	// Config is the configuration of an instance writing under dir, with the registry
	// option registry (nil: unset).
	Config func(dir string, registry *component.ID) component.Config
	// Works checks that the instance e, started without any registry, exports (into
	// dir). It is shut down after.
	Works func(t *testing.T, e component.Component, dir string)
}

// CheckFind runs the subtests of an exporter's registry lookup at Start: a configured
// registry that is not running fails Start (with other extensions or none), so does an
// extension of another type, several registries with none chosen, and a plugin name
// already taken; each instance is shut down after its failed Start. Without any registry
// the exporter works. Start errors begin with the type, the id and the signal
// ("tasker_json: tasker_json/f (metrics): ").
func CheckFind(t *testing.T, fc FindCase) {
	ctx := context.Background()
	set := fc.Settings
	prefix := fmt.Sprintf("%s: %s (%s): ", set.ID.Type(), set.ID, fc.Signal)
	start := func(t *testing.T, host component.Host, registry *component.ID) (component.Component, string, error) {
		t.Helper()
		dir := t.TempDir()
		e, err := create(ctx, fc.Factory, set, fc.Signal, fc.Config(dir, registry))
		require.NoError(t, err)
		return e, dir, e.Start(ctx, host)
	}
	missing := component.MustNewIDWithName("tasker_registry", "missing")

	t.Run("configured id missing", func(t *testing.T) {
		e, _, err := start(t, NewHost(t, ""), &missing)
		require.Error(t, err)
		assert.Contains(t, err.Error(), prefix+`registry "tasker_registry/missing": no such extension is running`)
		require.NoError(t, e.Shutdown(ctx))
	})
	t.Run("configured id missing, no extensions", func(t *testing.T) {
		e, _, err := start(t, componenttest.NewNopHost(), &missing)
		require.Error(t, err)
		require.NoError(t, e.Shutdown(ctx))
	})
	t.Run("configured id of another type", func(t *testing.T) {
		other := component.MustNewID("health_check")
		host := NewHost(t, "")
		host.Exts[other] = struct {
			component.StartFunc
			component.ShutdownFunc
		}{}
		e, _, err := start(t, host, &other)
		require.Error(t, err)
		assert.Contains(t, err.Error(), `registry "health_check": extension is a`)
		assert.Contains(t, err.Error(), "not a tasker_registry extension")
		require.NoError(t, e.Shutdown(ctx))
	})
	t.Run("several, none chosen", func(t *testing.T) {
		e, _, err := start(t, NewHost(t, "a", "b"), nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "several tasker_registry extensions are running")
		require.NoError(t, e.Shutdown(ctx))
	})
	t.Run("name taken", func(t *testing.T) {
		host, regs := NewHostRegistries(t, "")
		// Any format: the name is what is taken.
		_, err := regs[0].Register(taskerregistry.Plugin{Name: set.ID.String(), Formats: []string{"json"}})
		require.NoError(t, err)
		e, _, err := start(t, host, nil)
		require.Error(t, err)
		assert.True(t, errors.Is(err, taskerregistry.ErrAlreadyRegistered), "%v", err)
		assert.Contains(t, err.Error(), prefix+"registering with tasker_registry")
		require.NoError(t, e.Shutdown(ctx))
	})
	t.Run("no registry", func(t *testing.T) {
		e, dir, err := start(t, componenttest.NewNopHost(), nil)
		require.NoError(t, err)
		fc.Works(t, e, dir)
		require.NoError(t, e.Shutdown(ctx))
	})
}

// create makes the exporter of signal (metrics, logs or traces) with f.
func create(ctx context.Context, f exporter.Factory, set exporter.Settings, signal string, cfg component.Config) (component.Component, error) {
	switch signal {
	case "metrics":
		return f.CreateMetrics(ctx, set, cfg)
	case "logs":
		return f.CreateLogs(ctx, set, cfg)
	case "traces":
		return f.CreateTraces(ctx, set, cfg)
	}
	return nil, fmt.Errorf("unknown signal %q", signal)
}

// CheckSharedPlugin shuts the instances of one component (which share the plugin name)
// down in order and checks that the plugin lives until the last of them is shut down.
func CheckSharedPlugin(t *testing.T, reg *registryext.Registry, name string, instances ...component.Component) {
	t.Helper()
	ctx := context.Background()
	last := len(instances) - 1
	for _, c := range instances[:last] {
		require.NoError(t, c.Shutdown(ctx))
	}
	p, ok := reg.Get(name)
	require.True(t, ok)
	assert.Equal(t, 1, p.Instances)
	require.NoError(t, instances[last].Shutdown(ctx))
	_, ok = reg.Get(name)
	assert.False(t, ok)
}

// CheckFailedExport checks that the plugin name reported one failed export and no
// successful one: its stats count the failure with an error that contains errContains,
// and one export_failed event names the signal.
func CheckFailedExport(t *testing.T, reg *registryext.Registry, name, errContains, signal string) {
	t.Helper()
	st := reg.Stats().Plugins[name]
	assert.EqualValues(t, 0, st.Exports)
	assert.EqualValues(t, 1, st.Failures)
	require.NotNil(t, st.LastError)
	assert.Contains(t, *st.LastError, errContains)
	failed := reg.Events(registryext.EventQuery{Name: taskerregistry.EventExportFailed}).Events
	require.Len(t, failed, 1)
	assert.Equal(t, signal, failed[0].Payload["signal"])
}
