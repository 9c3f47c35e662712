// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"

	"github.com/tasker-systems/otelcol-tasker/internal/codec/promtext/promtexttest"
)

var (
	jsonID = component.MustNewID("tasker_json")
	csvID  = component.MustNewIDWithName("tasker_csv", "files")
	regID  = component.MustNewID("tasker_registry")
)

func TestBuiltinPrometheusPlugin(t *testing.T) {
	r := New(Options{ComponentID: regID, Version: "0.3.0"})
	p, ok := r.Get(PrometheusPluginName)
	require.True(t, ok)
	assert.Equal(t, []string{FormatPrometheus}, p.Formats)
	assert.Equal(t, "0.3.0", p.Version)
	assert.Equal(t, "tasker_registry", p.ComponentID)
	assert.Equal(t, "extension", p.ComponentKind)
	assert.Equal(t, "*promtext.Encoder", p.PluginClass)
	assert.True(t, p.Builtin)
	assert.True(t, p.Encoder)
	page := r.Events(EventQuery{})
	require.Len(t, page.Events, 1)
	assert.Equal(t, uint64(1), page.Events[0].Sequence)
	assert.Equal(t, taskerregistry.EventPluginRegistered, page.Events[0].Name)
	assert.Equal(t, "prometheus", page.Events[0].Payload["plugin_name"])
	assert.Equal(t, "tasker_registry", page.Events[0].Payload["registry_id"])

	r = New(Options{NoBuiltinPrometheus: true})
	assert.Empty(t, r.Plugins())
	assert.Empty(t, r.Formats())
}

func TestRegisterRules(t *testing.T) {
	r := New(Options{NoBuiltinPrometheus: true})
	enc := &fakeEncoder{}
	h, err := r.Register(taskerregistry.Plugin{ComponentID: jsonID, Kind: component.KindExporter, Version: "0.1.0", Formats: []string{" JSON", "ndjson", "json"}, Implementation: enc})
	require.NoError(t, err)
	assert.Equal(t, "tasker_json", h.Name(), "name defaults to the component id")
	p, ok := r.Get("tasker_json")
	require.True(t, ok)
	assert.Equal(t, []string{"json", "ndjson"}, p.Formats, "lower-cased, trimmed, de-duplicated, sorted")
	assert.Equal(t, "exporter", p.ComponentKind)
	assert.Equal(t, "*registryext.fakeEncoder", p.PluginClass)

	// Duplicate name refused, Tasker's message.
	_, err = r.Register(taskerregistry.Plugin{Name: "tasker_json", Formats: []string{"json"}})
	require.ErrorIs(t, err, taskerregistry.ErrAlreadyRegistered)
	assert.Contains(t, err.Error(), `plugin "tasker_json" already registered`)
	assert.Contains(t, err.Error(), "replace")

	// A second plugin, then replace the first: it keeps its place in the format order.
	_, err = r.Register(taskerregistry.Plugin{Name: "other_json", Formats: []string{"json"}, Implementation: &fakeEncoder{}})
	require.NoError(t, err)
	h2, err := r.Register(taskerregistry.Plugin{Name: "tasker_json", Version: "0.2.0", Formats: []string{"json"}, Implementation: &fakeEncoder{}}, taskerregistry.WithReplace())
	require.NoError(t, err)
	names := func(ps []PluginInfo) []string {
		out := []string{}
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return out
	}
	assert.Equal(t, []string{"tasker_json", "other_json"}, names(r.ByFormat("JSON")))
	assert.Empty(t, r.ByFormat("ndjson"), "the replacement dropped ndjson")
	p, _ = r.Get("tasker_json")
	assert.Equal(t, "0.2.0", p.Version)

	// The replaced plugin's handle is stale: reports and Unregister are ignored.
	h.ReportExport(taskerregistry.ExportReport{Items: 5})
	require.NoError(t, h.Unregister())
	p, ok = r.Get("tasker_json")
	require.True(t, ok)
	assert.Zero(t, p.Stats.Exports)

	// Unregister.
	require.NoError(t, h2.Unregister())
	_, ok = r.Get("tasker_json")
	assert.False(t, ok)
	require.ErrorIs(t, r.Unregister("tasker_json"), ErrNotFound)
	assert.True(t, r.SupportsFormat(" JSON"))
	require.NoError(t, r.Unregister("other_json"))
	assert.Empty(t, r.Formats())
	assert.False(t, r.SupportsFormat("json"))

	var evs []string
	for _, e := range r.Events(EventQuery{}).Events {
		evs = append(evs, strings.TrimPrefix(e.Name, "tasker.telemetry.")+":"+e.Payload["plugin_name"].(string))
	}
	assert.Equal(t, []string{
		"plugin_registered:tasker_json", "plugin_registered:other_json", "plugin_registered:tasker_json",
		"plugin_unregistered:tasker_json", "plugin_unregistered:other_json",
	}, evs)
	reg := r.Events(EventQuery{Name: "plugin_registered"}).Events
	assert.Equal(t, map[string]any{"replace": true, "shared": false}, reg[2].Payload["options"])
	assert.Equal(t, true, reg[2].Payload["replaced"])
	assert.Equal(t, "tasker_json", reg[0].Payload["component_id"])
	assert.Equal(t, "exporter", reg[0].Payload["component_kind"])
	assert.Equal(t, "*registryext.fakeEncoder", reg[0].Payload["plugin_class"])
	assert.NotEmpty(t, reg[0].Payload["timestamp"])
}

type observerOnly struct{ recorder }

type neither struct{}

type badMedia struct {
	fakeEncoder
	mt    taskerregistry.MediaType
	panic bool
}

func (b *badMedia) MediaType(string) taskerregistry.MediaType {
	if b.panic {
		panic("no media type")
	}
	return b.mt
}

func TestValidation(t *testing.T) {
	r := New(Options{NoBuiltinPrometheus: true})
	for _, tc := range []struct {
		name string
		p    taskerregistry.Plugin
		want []string
	}{
		{"empty name", taskerregistry.Plugin{Formats: []string{"json"}}, []string{"name is empty"}},
		{"bad name", taskerregistry.Plugin{Name: "my plugin!", Formats: []string{"json"}}, []string{`name "my plugin!" may contain only`}},
		{"leading slash", taskerregistry.Plugin{Name: "/x", Formats: []string{"json"}}, []string{"must start with a letter or digit"}},
		{"long name", taskerregistry.Plugin{Name: strings.Repeat("a", 129), Formats: []string{"json"}}, []string{"longer than 128"}},
		{"no formats", taskerregistry.Plugin{Name: "x"}, []string{"no formats"}},
		{"no formats encoder", taskerregistry.Plugin{Name: "x", Implementation: &fakeEncoder{}}, []string{"no formats"}},
		{"bad formats", taskerregistry.Plugin{Name: "x", Formats: []string{"", "a/b", strings.Repeat("f", 33)}}, []string{"a format is empty", `format "a/b" may contain only`, "longer than 32"}},
		{"neither", taskerregistry.Plugin{Name: "x", Formats: []string{"json"}, Implementation: neither{}}, []string{"registryext.neither is neither an Encoder"}},
		{"no content type", taskerregistry.Plugin{Name: "x", Formats: []string{"json"}, Implementation: &badMedia{}}, []string{`MediaType("json") has no content type`}},
		{"bad content type", taskerregistry.Plugin{Name: "x", Formats: []string{"json"}, Implementation: &badMedia{mt: taskerregistry.MediaType{ContentType: "json;;"}}}, []string{`content type "json;;" is invalid`}},
		{"bad extension", taskerregistry.Plugin{Name: "x", Formats: []string{"json"}, Implementation: &badMedia{mt: taskerregistry.MediaType{ContentType: "application/json", FileExtension: ".json"}}}, []string{`file extension ".json"`}},
		{"panicking media type", taskerregistry.Plugin{Name: "x", Formats: []string{"json"}, Implementation: &badMedia{panic: true}}, []string{"panicked: no media type"}},
		{"zero kind", taskerregistry.Plugin{Name: "x", Formats: []string{"json"}, Kind: component.Kind{}}, nil},
		{"bad version", taskerregistry.Plugin{Name: "x", Version: "1\n2", Formats: []string{"json"}}, []string{"version contains a line break"}},
		{"empty option key", taskerregistry.Plugin{Name: "x", Formats: []string{"json"}, Options: map[string]string{"": "v"}}, []string{"an option has an empty key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Register(tc.p)
			if tc.want == nil {
				require.NoError(t, err)
				require.NoError(t, r.Unregister(tc.p.Name))
				return
			}
			require.Error(t, err)
			require.ErrorIs(t, err, taskerregistry.ErrInvalidPlugin)
			var ve *taskerregistry.ValidationError
			require.ErrorAs(t, err, &ve)
			require.Len(t, ve.Problems, len(tc.want), ve.Problems)
			for i, w := range tc.want {
				assert.Contains(t, ve.Problems[i], w)
			}
			assert.Contains(t, err.Error(), "tasker_registry: invalid plugin")
		})
	}
	assert.Empty(t, r.Plugins(), "nothing invalid was registered")
	assert.Len(t, r.Events(EventQuery{}).Events, 2, "refusals emit no event (the two are the valid zero-kind plugin's)")

	// Valid: an observer without formats; a report-only plugin (nil implementation).
	_, err := r.Register(taskerregistry.Plugin{Name: "audit", Implementation: &observerOnly{}})
	require.NoError(t, err)
	_, err = r.Register(taskerregistry.Plugin{Name: "otlp", Formats: []string{"otlp"}})
	require.NoError(t, err)
	p, _ := r.Get("otlp")
	assert.Equal(t, taskerregistry.DefaultPluginVersion, p.Version)
	assert.False(t, p.Encoder)
	assert.Equal(t, []string{"otlp"}, r.Formats())
	assert.Empty(t, r.ExportableFormats(), "a report-only plugin cannot export on demand")
}

func TestNilRegistryAndHandles(t *testing.T) {
	var r *Registry
	h, err := r.Register(taskerregistry.Plugin{})
	require.NoError(t, err)
	assert.Nil(t, h)
	h.ReportExport(taskerregistry.ExportReport{Items: 1})
	require.NoError(t, h.Unregister())
	assert.Empty(t, h.Name())
	sh, err := r.RegisterMetricsSource(taskerregistry.SourceRegistration{})
	require.NoError(t, err)
	assert.Nil(t, sh)
	sh.ReportCacheSync(taskerregistry.CacheSync{})
	require.NoError(t, sh.Unregister())
	assert.Empty(t, sh.Name())
	require.NoError(t, r.Unregister("x"))
	require.NoError(t, r.UnregisterMetricsSource("x"))
}

func TestReportExportAndStats(t *testing.T) {
	r := New(Options{})
	h, err := r.Register(taskerregistry.Plugin{ComponentID: csvID, Kind: component.KindExporter, Formats: []string{"csv"}, Options: map[string]string{"path": "./out/x.csv"}})
	require.NoError(t, err)
	h.ReportExport(taskerregistry.ExportReport{Items: 10, Bytes: 1000, Duration: 1500 * time.Microsecond, Signal: "metrics"})
	h.ReportExport(taskerregistry.ExportReport{Items: 5, Bytes: 500, Duration: time.Millisecond, ExportID: "e-2"})
	h.ReportExport(taskerregistry.ExportReport{Items: 7, Duration: 2 * time.Millisecond, Err: errors.New("disk full"), Format: "CSV"})

	st := r.Stats()
	assert.Equal(t, 2, st.TotalPlugins)
	assert.Equal(t, 2, st.TotalFormats)
	assert.Equal(t, []string{"csv", "prometheus"}, st.SupportedFormats)
	assert.Equal(t, []string{"prometheus"}, st.ExportableFormats)
	assert.Equal(t, map[string][]string{"csv": {"tasker_csv/files"}, "prometheus": {"prometheus"}}, st.PluginsByFormat)
	ps := st.Plugins["tasker_csv/files"]
	assert.Equal(t, uint64(2), ps.Exports)
	assert.Equal(t, uint64(1), ps.Failures)
	assert.Equal(t, uint64(15), ps.Items)
	assert.Equal(t, uint64(1500), ps.Bytes)
	require.NotNil(t, ps.LastExport)
	require.NotNil(t, ps.LastDurationMs)
	assert.InDelta(t, 2.0, *ps.LastDurationMs, 1e-9)
	require.NotNil(t, ps.LastError)
	assert.Equal(t, "disk full", *ps.LastError)
	require.NotNil(t, ps.LastErrorAt)
	assert.Empty(t, st.MetricsSources)
	assert.Equal(t, uint64(5), st.Events.Recorded)

	pi, _ := r.Get("tasker_csv/files")
	assert.Equal(t, map[string]string{"path": "./out/x.csv"}, pi.Options)
	assert.Equal(t, ps, pi.Stats)

	evs := r.Events(EventQuery{Since: 2}).Events
	require.Len(t, evs, 3)
	assert.Equal(t, taskerregistry.EventExportCompleted, evs[0].Name)
	assert.Equal(t, 10, evs[0].Payload["metrics_count"])
	assert.Equal(t, int64(1000), evs[0].Payload["bytes"])
	assert.InDelta(t, 1.5, evs[0].Payload["duration_ms"], 1e-9)
	assert.Equal(t, "csv", evs[0].Payload["format"])
	assert.Equal(t, "metrics", evs[0].Payload["signal"])
	assert.Equal(t, "pipeline", evs[0].Payload["origin"])
	assert.Equal(t, true, evs[0].Payload["success"])
	assert.Equal(t, "tasker_csv/files", evs[0].Payload["component_id"])
	assert.Len(t, evs[0].Payload["export_id"], 36)
	assert.Equal(t, "e-2", evs[1].Payload["export_id"])
	assert.Equal(t, taskerregistry.EventExportFailed, evs[2].Name)
	assert.Equal(t, "disk full", evs[2].Payload["error"])
	assert.Equal(t, false, evs[2].Payload["success"])
	assert.Equal(t, "csv", evs[2].Payload["format"])
}

func TestMetricsSourceAndCacheSync(t *testing.T) {
	r := New(Options{})
	src := newStaticSource(promtexttest.Aggregate())
	cacheID := component.MustNewID("tasker_cache")
	sh, err := r.RegisterMetricsSource(taskerregistry.SourceRegistration{ComponentID: cacheID, Source: src})
	require.NoError(t, err)
	assert.Equal(t, "tasker_cache", sh.Name())
	_, err = r.RegisterMetricsSource(taskerregistry.SourceRegistration{ComponentID: cacheID, Source: src})
	require.ErrorIs(t, err, taskerregistry.ErrAlreadyRegistered)
	_, err = r.RegisterMetricsSource(taskerregistry.SourceRegistration{Name: "bad name"})
	require.ErrorIs(t, err, taskerregistry.ErrInvalidPlugin)
	assert.Contains(t, err.Error(), "Source is nil")

	st := r.Stats()
	require.Len(t, st.MetricsSources, 1)
	ss := st.MetricsSources[0]
	assert.Equal(t, "distributed_atomic", ss.Strategy)
	assert.Equal(t, taskerregistry.Capabilities{Distributed: true, AtomicIncrement: true, Locking: true, TTL: true}, ss.Capabilities)
	assert.Equal(t, 14, ss.SeriesCount)
	assert.Nil(t, ss.LastSync)
	assert.Nil(t, ss.LastSyncSuccess)

	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	sh.ReportCacheSync(taskerregistry.CacheSync{SeriesCount: 14, Duration: 12 * time.Millisecond, LockHolder: "collector-1", Time: at})
	sh.ReportCacheSync(taskerregistry.CacheSync{Strategy: "local_only", SeriesCount: 3, Duration: time.Millisecond, Err: errors.New("redis: connection refused"), Time: at.Add(time.Second)})
	ss = r.Stats().MetricsSources[0]
	assert.Equal(t, uint64(2), ss.Syncs)
	assert.Equal(t, uint64(1), ss.SyncFailures)
	require.NotNil(t, ss.LastSync)
	assert.Equal(t, at.Add(time.Second), *ss.LastSync)
	assert.False(t, *ss.LastSyncSuccess)
	assert.Equal(t, "redis: connection refused", *ss.LastSyncError)
	assert.Equal(t, "collector-1", ss.LockHolder)
	assert.Equal(t, "distributed_atomic", ss.Strategy, "Info's strategy wins")

	evs := r.Events(EventQuery{Name: taskerregistry.EventCacheSynced}).Events
	require.Len(t, evs, 2)
	assert.Equal(t, map[string]any{
		"strategy": "distributed_atomic", "metrics_count": 14, "duration_ms": 12.0, "success": true,
		"source": "tasker_cache", "synced_at": "2026-11-22T10:00:00Z", "lock_holder": "collector-1",
		"component_id": "tasker_cache", "component_kind": "processor",
		"timestamp": evs[0].Payload["timestamp"],
	}, evs[0].Payload)
	assert.Equal(t, "local_only", evs[1].Payload["strategy"])
	assert.Equal(t, false, evs[1].Payload["success"])
	assert.Equal(t, "redis: connection refused", evs[1].Payload["error"])

	// Replace makes the old handle stale.
	sh2, err := r.RegisterMetricsSource(taskerregistry.SourceRegistration{ComponentID: cacheID, Source: newStaticSource(pmetric.NewMetrics())}, taskerregistry.WithReplace())
	require.NoError(t, err)
	sh.ReportCacheSync(taskerregistry.CacheSync{})
	require.NoError(t, sh.Unregister())
	assert.Equal(t, []string{"tasker_cache"}, r.MetricsSources())
	assert.Len(t, r.Events(EventQuery{Name: taskerregistry.EventCacheSynced}).Events, 2)
	require.NoError(t, sh2.Unregister())
	assert.Empty(t, r.MetricsSources())
	require.ErrorIs(t, r.UnregisterMetricsSource("tasker_cache"), ErrNotFound)
}

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

func TestSharedRegistration(t *testing.T) {
	r := New(Options{NoBuiltinPrometheus: true})
	p := taskerregistry.Plugin{ComponentID: jsonID, Kind: component.KindExporter, Formats: []string{"json", "ndjson"}, Implementation: &fakeEncoder{}}
	hm, err := r.Register(p, taskerregistry.WithShared())
	require.NoError(t, err)
	hl, err := r.Register(p, taskerregistry.WithShared())
	require.NoError(t, err)
	ht, err := r.Register(taskerregistry.Plugin{ComponentID: jsonID, Formats: []string{"NDJSON", "json"}}, taskerregistry.WithShared())
	require.NoError(t, err)
	pi, _ := r.Get("tasker_json")
	assert.Equal(t, 3, pi.Instances)
	assert.True(t, pi.Encoder, "the first registration's implementation is kept")

	// Mismatches and non-shared duplicates are refused.
	_, err = r.Register(taskerregistry.Plugin{ComponentID: jsonID, Formats: []string{"json"}}, taskerregistry.WithShared())
	require.ErrorIs(t, err, taskerregistry.ErrAlreadyRegistered)
	assert.Contains(t, err.Error(), "a shared registration must have the same component id and formats")
	_, err = r.Register(p)
	require.ErrorIs(t, err, taskerregistry.ErrAlreadyRegistered)

	hm.ReportExport(taskerregistry.ExportReport{Items: 3, Signal: "metrics"})
	hl.ReportExport(taskerregistry.ExportReport{Items: 4, Signal: "logs"})
	pi, _ = r.Get("tasker_json")
	assert.Equal(t, uint64(7), pi.Stats.Items)

	require.NoError(t, hm.Unregister())
	require.NoError(t, hm.Unregister(), "a second call does nothing")
	require.NoError(t, hl.Unregister())
	pi, ok := r.Get("tasker_json")
	require.True(t, ok, "one instance is still registered")
	assert.Equal(t, 1, pi.Instances)
	require.NoError(t, ht.Unregister())
	_, ok = r.Get("tasker_json")
	assert.False(t, ok)
	assert.Len(t, r.Events(EventQuery{Name: taskerregistry.EventPluginRegistered}).Events, 1)
	assert.Len(t, r.Events(EventQuery{Name: taskerregistry.EventPluginUnregistered}).Events, 1)
	assert.False(t, r.SupportsFormat("json"))
}
