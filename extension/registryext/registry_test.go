// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/internal/codec/promtext/promtexttest"
	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
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
