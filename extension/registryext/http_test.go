// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"

	"github.com/tasker-systems/otelcol-tasker/internal/codec/promtext"
	"github.com/tasker-systems/otelcol-tasker/internal/codec/promtext/promtexttest"
	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

const testToken = "test-token-0123456789abcdef"

type apiClient struct {
	t     *testing.T
	base  string
	token string
	c     *http.Client
}

func newAPI(t *testing.T, reg *Registry, mutate func(*Config)) *apiClient {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	cfg.Token = testToken
	if mutate != nil {
		mutate(cfg)
	}
	srv := httptest.NewServer(newHandler(reg, cfg, nil, nil))
	c := &http.Client{}
	t.Cleanup(func() {
		c.CloseIdleConnections()
		srv.Close()
	})
	return &apiClient{t: t, base: srv.URL, token: testToken, c: c}
}

func (a *apiClient) do(method, path string, hdr map[string]string) (*http.Response, []byte) {
	a.t.Helper()
	req, err := http.NewRequest(method, a.base+path, nil)
	require.NoError(a.t, err)
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := a.c.Do(req)
	require.NoError(a.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(a.t, err)
	return resp, body
}

func (a *apiClient) getJSON(path string, wantStatus int, v any) *http.Response {
	a.t.Helper()
	resp, body := a.do(http.MethodGet, path, nil)
	require.Equal(a.t, wantStatus, resp.StatusCode, "%s: %s", path, body)
	assert.Equal(a.t, jsonContentType, resp.Header.Get("Content-Type"), path)
	require.NoError(a.t, json.Unmarshal(body, v), "%s: %s", path, body)
	return resp
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// testRegistry: the built-in prometheus plugin, a JSON encoder, a report-only CSV file
// exporter, and the cache as metrics source.
func testRegistry(t *testing.T) (*Registry, *staticSource, *PluginHandle) {
	t.Helper()
	reg := New(Options{ComponentID: regID})
	_, err := reg.Register(taskerregistry.Plugin{ComponentID: jsonID, Kind: component.KindExporter, Version: "0.1.0", Description: "Tasker JSON files", Formats: []string{"json"},
		Implementation: &fakeEncoder{contentType: "application/json", ext: "json", body: `{"total_metrics":14}`}})
	require.NoError(t, err)
	h, err := reg.Register(taskerregistry.Plugin{ComponentID: csvID, Kind: component.KindExporter, Formats: []string{"csv"}, Options: map[string]string{"path": "./out/m.csv"}})
	require.NoError(t, err)
	src := newStaticSource(promtexttest.Aggregate())
	_, err = reg.RegisterMetricsSource(taskerregistry.SourceRegistration{ComponentID: component.MustNewID("tasker_cache"), Source: src})
	require.NoError(t, err)
	return reg, src, h
}

func TestHTTPAuth(t *testing.T) {
	reg, _, _ := testRegistry(t)
	api := newAPI(t, reg, nil)

	api.token = ""
	var health Health
	api.getJSON("/health", http.StatusOK, &health)
	assert.Equal(t, Health{Status: "ok", Plugins: 3, Formats: []string{"csv", "json", "prometheus"}, MetricsSources: []string{"tasker_cache"}, LastSequence: 3}, health)

	for _, p := range []string{"/v1/plugins", "/v1/plugins/prometheus", "/v1/formats", "/v1/stats", "/v1/events", "/v1/export?format=json", "/metrics"} {
		var er ErrorResponse
		resp := api.getJSON(p, http.StatusUnauthorized, &er)
		assert.Equal(t, `Bearer realm="tasker_registry"`, resp.Header.Get("WWW-Authenticate"), p)
		assert.Contains(t, er.Error, "missing bearer token")
		assert.Equal(t, 401, er.Status)
	}
	api.token = "wrong-token-0123456789abcdef"
	var er ErrorResponse
	resp := api.getJSON("/v1/stats", http.StatusUnauthorized, &er)
	assert.Equal(t, `Bearer realm="tasker_registry", error="invalid_token"`, resp.Header.Get("WWW-Authenticate"))
	assert.Equal(t, "invalid bearer token", er.Error)
	resp, _ = api.do(http.MethodGet, "/v1/stats", map[string]string{"Authorization": "Basic " + testToken})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	api.token = ""
	resp, _ = api.do(http.MethodGet, "/v1/stats", map[string]string{"Authorization": "bearer " + testToken})
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the scheme is case-insensitive")

	// No token configured: open.
	open := newAPI(t, reg, func(c *Config) { c.Token = "" })
	open.token = ""
	var stats map[string]any
	open.getJSON("/v1/stats", http.StatusOK, &stats)
}

func TestHTTPMethodAndPath(t *testing.T) {
	reg, _, _ := testRegistry(t)
	api := newAPI(t, reg, nil)
	for _, p := range []string{"/health", "/metrics", "/v1/plugins", "/v1/plugins/x", "/v1/formats", "/v1/stats", "/v1/events", "/v1/export"} {
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
			resp, body := api.do(m, p, nil)
			require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, "%s %s", m, p)
			assert.Equal(t, "GET, HEAD", resp.Header.Get("Allow"))
			var er ErrorResponse
			require.NoError(t, json.Unmarshal(body, &er))
			assert.Contains(t, er.Error, "method "+m+" not allowed")
		}
	}
	var er ErrorResponse
	api.getJSON("/v2/plugins", http.StatusNotFound, &er)
	assert.Contains(t, er.Error, "no endpoint /v2/plugins")
	api.getJSON("/v1/plugins/", http.StatusNotFound, &er)

	resp, body := api.do(http.MethodHead, "/metrics", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Empty(t, body)
	assert.NotEmpty(t, resp.Header.Get("Content-Length"))
}

func TestHTTPPluginsAndFormats(t *testing.T) {
	reg, _, _ := testRegistry(t)
	api := newAPI(t, reg, nil)

	var list PluginList
	api.getJSON("/v1/plugins", http.StatusOK, &list)
	require.Equal(t, 3, list.Total)
	assert.Equal(t, []string{"prometheus", "tasker_json", "tasker_csv/files"}, []string{list.Plugins[0].Name, list.Plugins[1].Name, list.Plugins[2].Name})
	api.getJSON("/v1/plugins?format=CSV", http.StatusOK, &list)
	require.Equal(t, 1, list.Total)
	assert.Equal(t, "csv", list.Format)
	assert.Equal(t, "tasker_csv/files", list.Plugins[0].Name)
	api.getJSON("/v1/plugins?format=xml", http.StatusOK, &list)
	assert.Equal(t, 0, list.Total)
	assert.NotNil(t, list.Plugins)

	// Stable field names.
	var raw map[string]any
	api.getJSON("/v1/plugins/tasker_json", http.StatusOK, &raw)
	assert.Equal(t, []string{"builtin", "component_id", "component_kind", "description", "encoder", "formats", "instances", "name", "observer", "options", "plugin_class", "registered_at", "stats", "version"}, keys(raw))
	assert.Equal(t, []string{"bytes", "dropped", "exports", "failures", "items", "last_duration_ms", "last_error", "last_error_at", "last_export"}, keys(raw["stats"].(map[string]any)))
	var p PluginInfo
	api.getJSON("/v1/plugins/tasker_csv/files", http.StatusOK, &p)
	assert.Equal(t, "tasker_csv/files", p.ComponentID)
	assert.Equal(t, map[string]string{"path": "./out/m.csv"}, p.Options)
	assert.False(t, p.Encoder)
	var er ErrorResponse
	api.getJSON("/v1/plugins/nope", http.StatusNotFound, &er)
	assert.Equal(t, `plugin "nope" is not registered`, er.Error)

	var fl FormatList
	api.getJSON("/v1/formats", http.StatusOK, &fl)
	assert.Equal(t, FormatList{
		Formats: []string{"csv", "json", "prometheus"}, TotalFormats: 3,
		ExportableFormats: []string{"json", "prometheus"},
		PluginsByFormat:   map[string][]string{"csv": {"tasker_csv/files"}, "json": {"tasker_json"}, "prometheus": {"prometheus"}},
	}, fl)
}

func TestHTTPStats(t *testing.T) {
	reg, _, h := testRegistry(t)
	sh, err := reg.RegisterMetricsSource(taskerregistry.SourceRegistration{Name: "tasker_cache", Source: newStaticSource(promtexttest.Aggregate())}, taskerregistry.WithReplace())
	require.NoError(t, err)
	sh.ReportCacheSync(taskerregistry.CacheSync{SeriesCount: 14, Duration: 3 * time.Millisecond, LockHolder: "web-1-42"})
	h.ReportExport(taskerregistry.ExportReport{Items: 14, Bytes: 2048, Duration: time.Millisecond})
	h.ReportExport(taskerregistry.ExportReport{Err: errors.New("disk full")})
	api := newAPI(t, reg, nil)

	var raw map[string]any
	api.getJSON("/v1/stats", http.StatusOK, &raw)
	assert.Equal(t, []string{"events", "exportable_formats", "metrics_sources", "plugins", "plugins_by_format", "supported_formats", "total_formats", "total_plugins"}, keys(raw))
	srcs := raw["metrics_sources"].([]any)
	require.Len(t, srcs, 1)
	assert.Equal(t, []string{"capabilities", "component_id", "last_snapshot_error", "last_snapshot_error_at", "last_sync", "last_sync_duration_ms", "last_sync_error", "last_sync_success", "lock_holder", "name", "registered_at", "series_count", "snapshot_failures", "strategy", "sync_failures", "syncs"}, keys(srcs[0].(map[string]any)))
	assert.Equal(t, []string{"capacity", "evicted", "last_sequence", "oldest_sequence", "recorded", "retained"}, keys(raw["events"].(map[string]any)))

	var st Stats
	api.getJSON("/v1/stats", http.StatusOK, &st)
	assert.Equal(t, 3, st.TotalPlugins)
	assert.Equal(t, 3, st.TotalFormats)
	csv := st.Plugins["tasker_csv/files"]
	assert.Equal(t, uint64(1), csv.Exports)
	assert.Equal(t, uint64(1), csv.Failures)
	assert.Equal(t, uint64(14), csv.Items)
	assert.Equal(t, uint64(2048), csv.Bytes)
	assert.Equal(t, "disk full", *csv.LastError)
	ss := st.MetricsSources[0]
	assert.Equal(t, "distributed_atomic", ss.Strategy)
	assert.True(t, ss.Capabilities.Locking)
	assert.Equal(t, 14, ss.SeriesCount)
	assert.Equal(t, "web-1-42", ss.LockHolder)
	assert.True(t, *ss.LastSyncSuccess)
	assert.NotNil(t, ss.LastSync)
	assert.InDelta(t, 3.0, *ss.LastSyncDurationMs, 1e-9)
}

func TestHTTPEvents(t *testing.T) {
	reg, _, h := testRegistry(t)
	for i := 0; i < 5; i++ {
		h.ReportExport(taskerregistry.ExportReport{Items: i})
	}
	h.ReportExport(taskerregistry.ExportReport{Err: errBoom})
	api := newAPI(t, reg, func(c *Config) { c.MaxEvents = 50 })

	var page EventPage
	api.getJSON("/v1/events", http.StatusOK, &page)
	require.Len(t, page.Events, 9)
	assert.Equal(t, uint64(9), page.LastSequence)
	assert.Equal(t, uint64(9), page.NextSince)

	api.getJSON("/v1/events?since=3&limit=2", http.StatusOK, &page)
	assert.Equal(t, []uint64{4, 5}, seqs(page.Events))
	assert.True(t, page.More)
	api.getJSON("/v1/events?type=export_failed", http.StatusOK, &page)
	require.Len(t, page.Events, 1)
	assert.Equal(t, taskerregistry.EventExportFailed, page.Events[0].Name)
	assert.Equal(t, "boom", page.Events[0].Payload["error"])
	api.getJSON("/v1/events?type=tasker.telemetry.plugin_registered&since=1", http.StatusOK, &page)
	assert.Equal(t, []uint64{2, 3}, seqs(page.Events))

	var raw map[string]any
	api.getJSON("/v1/events?limit=1", http.StatusOK, &raw)
	assert.Equal(t, []string{"events", "last_sequence", "missed", "more", "next_since", "oldest_sequence"}, keys(raw))
	ev := raw["events"].([]any)[0].(map[string]any)
	assert.Equal(t, []string{"name", "payload", "sequence", "timestamp"}, keys(ev))

	var er ErrorResponse
	for q, msg := range map[string]string{
		"since=-1":      "since must be a non-negative integer",
		"since=x":       "since must be a non-negative integer",
		"limit=0":       "limit must be an integer between 1 and 50",
		"limit=51":      "limit must be an integer between 1 and 50",
		"type=task.foo": `unknown event type "task.foo"`,
	} {
		api.getJSON("/v1/events?"+q, http.StatusBadRequest, &er)
		assert.Contains(t, er.Error, msg, q)
	}
	assert.Equal(t, taskerregistry.EventNames, er.EventTypes)
}

func TestHTTPExport(t *testing.T) {
	reg, _, _ := testRegistry(t)
	api := newAPI(t, reg, nil)

	resp, body := api.do(http.MethodGet, "/v1/export?format=json&pretty=true", map[string]string{"X-Correlation-ID": "tsk_l2k3j4_AbC123"})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.JSONEq(t, `{"total_metrics":14}`, string(body))
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	assert.Regexp(t, `^attachment; filename="metrics_export_[A-Za-z0-9_.-]+_\d{8}_\d{6}\.json"$`, resp.Header.Get("Content-Disposition"))
	assert.Equal(t, "tasker_json", resp.Header.Get("X-Tasker-Plugin"))
	exportID := resp.Header.Get("X-Tasker-Export-Id")
	assert.Len(t, exportID, 36)
	assert.Equal(t, "no-cache, no-store, must-revalidate", resp.Header.Get("Cache-Control"))

	page := reg.Events(EventQuery{Since: 3})
	require.Len(t, page.Events, 2)
	assert.Equal(t, taskerregistry.EventExportRequested, page.Events[0].Name)
	assert.Equal(t, "tsk_l2k3j4_AbC123", page.Events[0].Payload["correlation_id"])
	assert.Equal(t, map[string]any{"pretty": "true"}, page.Events[0].Payload["options"])
	assert.Equal(t, taskerregistry.EventExportCompleted, page.Events[1].Name)
	assert.Equal(t, exportID, page.Events[1].Payload["export_id"])

	resp, body = api.do(http.MethodGet, "/v1/export?format=prometheus", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, promtext.ContentType, resp.Header.Get("Content-Type"))
	assert.Contains(t, resp.Header.Get("Content-Disposition"), `.prom"`)
	promtexttest.AssertRoundTrip(t, string(body), promtexttest.Aggregate())

	// Unknown format: 404 with the supported ones; a format only a report-only plugin
	// has is unknown too.
	for _, f := range []string{"xml", "csv"} {
		var er ErrorResponse
		api.getJSON("/v1/export?format="+f, http.StatusNotFound, &er)
		assert.Equal(t, []string{"json", "prometheus"}, er.SupportedFormats)
		assert.Equal(t, f, er.Format)
		assert.Contains(t, er.Error, "Unsupported export format: "+f)
	}
	var er ErrorResponse
	api.getJSON("/v1/export", http.StatusBadRequest, &er)
	assert.Contains(t, er.Error, "format is required")
	assert.Equal(t, []string{"json", "prometheus"}, er.SupportedFormats)
	api.getJSON("/v1/export?format=json&source=nope", http.StatusNotFound, &er)
	assert.Contains(t, er.Error, `metrics source "nope" is not registered`)
	assert.Equal(t, []string{"tasker_cache"}, er.MetricsSources)
}

func TestHTTPExportErrors(t *testing.T) {
	reg := New(Options{})
	failing := &fakeEncoder{fail: errors.New("encoder broke")}
	_, err := reg.Register(taskerregistry.Plugin{Name: "broken", Formats: []string{"json"}, Implementation: failing})
	require.NoError(t, err)
	api := newAPI(t, reg, func(c *Config) { c.ExportTimeout = 100 * time.Millisecond })

	// No metrics source: 409, with an explanation, on both endpoints.
	for _, p := range []string{"/v1/export?format=prometheus", "/metrics"} {
		var er ErrorResponse
		api.getJSON(p, http.StatusConflict, &er)
		assert.Contains(t, er.Error, "tasker_registry: no metrics source is registered: add the tasker_cache processor", p)
		assert.Empty(t, er.MetricsSources)
	}

	src := newStaticSource(promtexttest.Aggregate())
	sh, err := reg.RegisterMetricsSource(taskerregistry.SourceRegistration{Name: "cache", Source: src})
	require.NoError(t, err)

	var er ErrorResponse
	api.getJSON("/v1/export?format=json", http.StatusInternalServerError, &er)
	assert.Equal(t, []PluginError{{Plugin: "broken", Error: "encoder broke"}}, er.PluginErrors)
	assert.Contains(t, er.Error, "All plugins failed for format: json")

	src.err = errors.New("redis: connection refused")
	api.getJSON("/v1/export?format=prometheus", http.StatusServiceUnavailable, &er)
	assert.Contains(t, er.Error, "redis: connection refused")
	src.err = nil

	src.delay = time.Second
	api.getJSON("/metrics", http.StatusGatewayTimeout, &er)
	assert.Contains(t, er.Error, "export did not finish within export_timeout (100ms)")
	src.delay = 0

	// Two sources: ambiguous (409) unless ?source= chooses.
	_, err = reg.RegisterMetricsSource(taskerregistry.SourceRegistration{Name: "cache2", Source: newStaticSource(promtexttest.Aggregate())})
	require.NoError(t, err)
	api.getJSON("/metrics", http.StatusConflict, &er)
	assert.Equal(t, []string{"cache", "cache2"}, er.MetricsSources)
	resp, _ := api.do(http.MethodGet, "/metrics?source=cache2", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, sh.Unregister())
}

// fakeHost is a component.Host with the given extensions.
type fakeHost struct {
	component.Host
	exts map[component.ID]component.Component
}

func (h fakeHost) GetExtensions() map[component.ID]component.Component { return h.exts }
