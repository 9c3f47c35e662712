// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/internal/codec/promtext/promtexttest"
	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

func TestExportCoordination(t *testing.T) {
	r := New(Options{})
	rec := &recorder{}
	_, err := r.Register(taskerregistry.Plugin{Name: "watcher", Implementation: rec})
	require.NoError(t, err)
	first := &fakeEncoder{fail: errors.New("template missing"), partial: "half a fi"}
	second := &fakeEncoder{ext: "csv"}
	_, err = r.Register(taskerregistry.Plugin{Name: "csv_a", Formats: []string{"csv"}, Implementation: first})
	require.NoError(t, err)
	_, err = r.Register(taskerregistry.Plugin{Name: "csv_b", Formats: []string{"csv"}, Implementation: second})
	require.NoError(t, err)
	_, err = r.Register(taskerregistry.Plugin{Name: "csv_files", Formats: []string{"csv"}}) // report-only: never tried
	require.NoError(t, err)
	ctx := context.Background()

	// Unsupported format: refused before anything happens.
	before := r.Events(EventQuery{}).LastSequence
	_, err = r.Export(ctx, ExportRequest{Format: "xml"})
	var uf *UnsupportedFormatError
	require.ErrorAs(t, err, &uf)
	require.ErrorIs(t, err, ErrUnsupportedFormat)
	assert.Equal(t, []string{"csv", "prometheus"}, uf.Supported)
	assert.Equal(t, before, r.Events(EventQuery{}).LastSequence)

	// No source: requested then failed.
	_, err = r.Export(ctx, ExportRequest{Format: "csv"})
	require.ErrorIs(t, err, ErrNoMetricsSource)
	assert.Contains(t, err.Error(), "add the tasker_cache processor")
	evs := r.Events(EventQuery{Since: before}).Events
	require.Len(t, evs, 2)
	assert.Equal(t, taskerregistry.EventExportRequested, evs[0].Name)
	assert.Equal(t, taskerregistry.EventExportFailed, evs[1].Name)
	assert.Equal(t, evs[0].Payload["export_id"], evs[1].Payload["export_id"])

	src := newStaticSource(promtexttest.Aggregate())
	_, err = r.RegisterMetricsSource(taskerregistry.SourceRegistration{Name: "cache", Source: src})
	require.NoError(t, err)

	// First plugin fails (after writing), the second succeeds: its output only.
	before = r.Events(EventQuery{}).LastSequence
	res, err := r.Export(ctx, ExportRequest{Format: "CSV", CorrelationID: "tsk_abc", Options: map[string]string{"pretty": "true"}})
	require.NoError(t, err)
	assert.Equal(t, "csv_b", res.Plugin)
	assert.Equal(t, "csv:14\n", string(res.Data))
	assert.Equal(t, "cache", res.Source)
	assert.Equal(t, taskerregistry.MediaType{ContentType: "text/csv; charset=utf-8", FileExtension: "csv"}, res.MediaType)
	assert.Equal(t, []PluginError{{Plugin: "csv_a", Error: "template missing"}}, res.Failed)
	assert.Equal(t, 14, res.Items)
	evs = r.Events(EventQuery{Since: before}).Events
	require.Len(t, evs, 2)
	assert.Equal(t, taskerregistry.EventExportRequested, evs[0].Name)
	assert.Equal(t, "tsk_abc", evs[0].Payload["correlation_id"])
	assert.Equal(t, map[string]any{"pretty": "true"}, evs[0].Payload["options"])
	assert.Equal(t, false, evs[0].Payload["include_instances"])
	assert.Equal(t, taskerregistry.EventExportCompleted, evs[1].Name)
	assert.Equal(t, res.ExportID, evs[1].Payload["export_id"])
	assert.Equal(t, "csv_b", evs[1].Payload["plugin_name"])
	assert.Equal(t, 14, evs[1].Payload["metrics_count"])
	assert.Equal(t, int64(7), evs[1].Payload["bytes"])
	st := r.Stats().Plugins
	assert.Equal(t, uint64(1), st["csv_a"].Failures)
	assert.Equal(t, uint64(1), st["csv_b"].Exports)
	assert.Equal(t, uint64(7), st["csv_b"].Bytes)
	assert.Zero(t, st["csv_files"].Exports+st["csv_files"].Failures)

	// The observer saw everything after its registration, in order.
	names := rec.names()
	assert.Equal(t, taskerregistry.EventExportCompleted, names[len(names)-1])
	assert.Equal(t, taskerregistry.EventPluginRegistered, names[0])

	// All plugins fail.
	second.fail = errors.New("disk full")
	_, err = r.Export(ctx, ExportRequest{Format: "csv"})
	var ef *ExportFailedError
	require.ErrorAs(t, err, &ef)
	require.ErrorIs(t, err, ErrAllPluginsFailed)
	assert.Len(t, ef.Errors, 2)
	assert.Contains(t, err.Error(), "All plugins failed for format: csv")
	last := r.Events(EventQuery{Name: taskerregistry.EventExportFailed}).Events
	assert.Equal(t, map[string]any{"csv_a": "template missing", "csv_b": "disk full"}, last[len(last)-1].Payload["plugin_errors"])

	// Snapshot failure.
	src.err = errors.New("redis down")
	_, err = r.Export(ctx, ExportRequest{Format: "prometheus"})
	require.ErrorIs(t, err, ErrSnapshot)
	assert.Contains(t, err.Error(), "redis down")
	ss := r.Stats().MetricsSources[0]
	assert.Equal(t, uint64(1), ss.SnapshotFailures)
	require.NotNil(t, ss.LastSnapshotError)
	src.err = nil

	// Several sources: choose one.
	_, err = r.RegisterMetricsSource(taskerregistry.SourceRegistration{Name: "cache2", Source: newStaticSource(pmetric.NewMetrics())})
	require.NoError(t, err)
	_, err = r.Export(ctx, ExportRequest{Format: "prometheus"})
	require.ErrorIs(t, err, ErrNoMetricsSource)
	assert.Contains(t, err.Error(), "several metrics sources are registered (cache, cache2)")
	res, err = r.Export(ctx, ExportRequest{Format: "prometheus", Source: "cache2"})
	require.NoError(t, err)
	assert.Empty(t, res.Data)
	_, err = r.Export(ctx, ExportRequest{Format: "prometheus", Source: "nope"})
	require.ErrorIs(t, err, ErrNotFound)

	// Quiet: no events, stats still counted.
	before = r.Events(EventQuery{}).LastSequence
	res, err = r.Export(ctx, ExportRequest{Format: "prometheus", Source: "cache", Quiet: true})
	require.NoError(t, err)
	assert.Contains(t, string(res.Data), "# TYPE task_completed_total counter")
	assert.Equal(t, before, r.Events(EventQuery{}).LastSequence)
	assert.Equal(t, uint64(2), r.Stats().Plugins["prometheus"].Exports)
}

type panicky struct{ fakeEncoder }

func (p *panicky) Encode(context.Context, string, pmetric.Metrics, io.Writer) (taskerregistry.Result, error) {
	panic("kaboom")
}

func (p *panicky) OnEvent(taskerregistry.Event) { panic("observer kaboom") }

func TestPanicsAreContained(t *testing.T) {
	r := New(Options{NoBuiltinPrometheus: true})
	_, err := r.Register(taskerregistry.Plugin{Name: "p", Formats: []string{"csv"}, Implementation: &panicky{}})
	require.NoError(t, err)
	_, err = r.RegisterMetricsSource(taskerregistry.SourceRegistration{Name: "s", Source: newStaticSource(promtexttest.Aggregate())})
	require.NoError(t, err)
	_, err = r.Export(context.Background(), ExportRequest{Format: "csv"})
	require.ErrorIs(t, err, ErrAllPluginsFailed)
	assert.Contains(t, err.Error(), "encoder panicked: kaboom")
}

type fickle struct {
	fakeEncoder
	calls int
}

func (f *fickle) MediaType(string) taskerregistry.MediaType {
	f.calls++
	if f.calls > 1 {
		panic("changed its mind")
	}
	return taskerregistry.MediaType{ContentType: "text/plain"}
}

func TestMediaTypePanicAfterRegistration(t *testing.T) {
	r := New(Options{NoBuiltinPrometheus: true})
	_, err := r.Register(taskerregistry.Plugin{Name: "f", Formats: []string{"txt"}, Implementation: &fickle{}})
	require.NoError(t, err)
	_, _ = r.RegisterMetricsSource(taskerregistry.SourceRegistration{Name: "s", Source: newStaticSource(promtexttest.Aggregate())})
	res, err := r.Export(context.Background(), ExportRequest{Format: "txt"})
	require.NoError(t, err)
	assert.Equal(t, taskerregistry.MediaType{ContentType: "application/octet-stream"}, res.MediaType)
}

func TestContextCancelledStopsTrying(t *testing.T) {
	r := New(Options{NoBuiltinPrometheus: true})
	a, b := &fakeEncoder{fail: context.Canceled}, &fakeEncoder{}
	_, _ = r.Register(taskerregistry.Plugin{Name: "a", Formats: []string{"csv"}, Implementation: a})
	_, _ = r.Register(taskerregistry.Plugin{Name: "b", Formats: []string{"csv"}, Implementation: b})
	_, _ = r.RegisterMetricsSource(taskerregistry.SourceRegistration{Name: "s", Source: newStaticSource(promtexttest.Aggregate())})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := r.Export(ctx, ExportRequest{Format: "csv"})
	require.Error(t, err)
	assert.Zero(t, a.calls.Load()+b.calls.Load(), "the snapshot honoured ctx or no plugin was tried")
}

// TestConcurrency exercises every entry point at once; run with -race.
func TestConcurrency(t *testing.T) {
	r := New(Options{MaxEvents: 64})
	_, err := r.RegisterMetricsSource(taskerregistry.SourceRegistration{Name: "cache", Source: newStaticSource(promtexttest.Aggregate())})
	require.NoError(t, err)
	rec := &recorder{}
	_, err = r.Register(taskerregistry.Plugin{Name: "watcher", Implementation: rec})
	require.NoError(t, err)
	const workers, rounds = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				name := fmt.Sprintf("p%d", i%5)
				h, err := r.Register(taskerregistry.Plugin{Name: name, Formats: []string{"csv", fmt.Sprintf("f%d", w)}, Implementation: &fakeEncoder{}}, taskerregistry.WithReplace())
				if err != nil {
					errs <- err
					return
				}
				h.ReportExport(taskerregistry.ExportReport{Items: 1, Bytes: 10})
				if _, err := r.Export(context.Background(), ExportRequest{Format: "csv"}); err != nil && !errors.Is(err, ErrUnsupportedFormat) {
					errs <- err
				}
				_, _ = r.Export(context.Background(), ExportRequest{Format: "prometheus", Quiet: true})
				_ = r.Stats()
				_ = r.Plugins()
				_ = r.ByFormat("csv")
				_ = r.Formats()
				_, _ = r.Get(name)
				_ = r.Events(EventQuery{Since: uint64(i), Limit: 10})
				if i%7 == 0 {
					_ = h.Unregister()
				}
				// A duplicate without replace is refused, or succeeds if the name was free.
				if _, err := r.Register(taskerregistry.Plugin{Name: name, Formats: []string{"csv"}}); err != nil && !errors.Is(err, taskerregistry.ErrAlreadyRegistered) {
					errs <- err
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := r.Stats()
	assert.Equal(t, 64, st.Events.Retained)
	assert.Equal(t, st.Events.Recorded-64, st.Events.Evicted)
	page := r.Events(EventQuery{})
	for i := 1; i < len(page.Events); i++ {
		require.Equal(t, page.Events[i-1].Sequence+1, page.Events[i].Sequence)
	}
	assert.NotEmpty(t, rec.names())
}
