// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package fileexport

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/tasker-systems/otelcol-tasker/internal/filewriter"
	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

var testType = component.MustNewType("tasker_test")

func TestRetryable(t *testing.T) {
	boom := errors.New("boom")
	md := pmetric.NewMetrics()
	md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty().SetEmptyGauge().DataPoints().AppendEmpty()
	var m consumererror.Metrics
	require.ErrorAs(t, Retryable(boom, md), &m)
	assert.Equal(t, 1, m.Data().DataPointCount())

	ld := plog.NewLogs()
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	var l consumererror.Logs
	require.ErrorAs(t, Retryable(boom, ld), &l)
	assert.Equal(t, 1, l.Data().LogRecordCount())

	td := ptrace.NewTraces()
	td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	err := Retryable(boom, td)
	var tr consumererror.Traces
	require.ErrorAs(t, err, &tr)
	assert.Equal(t, 1, tr.Data().SpanCount())
	assert.ErrorIs(t, err, boom)
	assert.False(t, consumererror.IsPermanent(err), "retryable")
}

func TestConfig(t *testing.T) {
	c := NewDefaultConfig("./out/{signal}.x")
	assert.Equal(t, filewriter.NewDefaultConfig("./out/{signal}.x"), c.Config)
	assert.True(t, c.QueueConfig.HasValue())
	assert.Nil(t, c.Registry)
	assert.Same(t, &c, c.FileExport())
	assert.Empty(t, c.OutputErrors())
	assert.Empty(t, c.GroupAttribute())

	c.GroupBy = &filewriter.GroupByConfig{ResourceAttribute: "service.name", MaxOpenFiles: 1}
	assert.Equal(t, "service.name", c.GroupAttribute())
	errs := c.OutputErrors()
	require.Len(t, errs, 1, "group_by without {group}: one error")
	assert.Equal(t, c.ValidateOutput().Error(), errs[0].Error())
}

func newTestExporter(t *testing.T, cfg *Config, plugin func() (taskerregistry.Plugin, error)) *Exporter {
	t.Helper()
	set := exportertest.NewNopSettings(testType)
	set.ID = component.NewIDWithName(testType, "x")
	var shutdowns int
	e, err := New(cfg, set, Settings{
		Type: testType, Signal: SignalLogs, Ext: "txt", Format: "text",
		Telemetry: func() (Telemetry, error) {
			c, err := noop.NewMeterProvider().Meter("test").Int64Counter("c")
			return Telemetry{WriteFailures: c, TornRecordsRepaired: c, Shutdown: func() { shutdowns++ }}, err
		},
		Plugin: plugin,
	})
	require.NoError(t, err)
	t.Cleanup(func() { assert.Equal(t, 1, shutdowns, "telemetry shut down once") })
	return e
}

// Without a registry the exporter starts, reports are no-ops, and it shuts down; start
// errors name the type, the instance and the signal.
func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	cfg := NewDefaultConfig(filepath.Join(t.TempDir(), "{signal}.txt"))
	e := newTestExporter(t, &cfg, func() (taskerregistry.Plugin, error) {
		return taskerregistry.Plugin{Name: "tasker_test/x", Formats: []string{"text"}}, nil
	})
	require.NoError(t, e.Start(ctx, componenttest.NewNopHost()))
	assert.Nil(t, e.Handle, "no registry")
	assert.Equal(t, SignalLogs, e.Signal)
	assert.Equal(t, "text", e.Format)
	e.Report(time.Now(), 1, 2, nil)
	require.NoError(t, e.Shutdown(ctx))

	// The plugin is described at every start (a configuration its encoder refuses fails
	// Start, registry or not).
	e = newTestExporter(t, &cfg, func() (taskerregistry.Plugin, error) { return taskerregistry.Plugin{}, errors.New("bad encoder") })
	err := e.Start(ctx, componenttest.NewNopHost())
	assert.EqualError(t, err, "tasker_test: tasker_test/x (logs): bad encoder")
	require.NoError(t, e.Shutdown(ctx))

	missing := component.MustNewIDWithName("tasker_registry", "missing")
	cfg.Registry = &missing
	e = newTestExporter(t, &cfg, nil)
	err = e.Start(ctx, componenttest.NewNopHost())
	require.Error(t, err)
	assert.Contains(t, err.Error(), `tasker_test: tasker_test/x (logs): registry "tasker_registry/missing"`)
	require.NoError(t, e.Shutdown(ctx))
}
