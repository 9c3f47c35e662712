// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/tasker-systems/otelcol-tasker/receiver/taskerreceiver/internal/metadata"
)

var promNow = time.Date(2026, 1, 10, 14, 0, 0, 0, time.UTC)

func promReceiver(t *testing.T) *taskerReceiver {
	t.Helper()
	r, err := newReceiver(receivertest.NewNopSettings(metadata.Type), createDefaultConfig().(*Config))
	require.NoError(t, err)
	r.set.BuildInfo = component.BuildInfo{Version: "test"}
	return r
}

// The goldens: Tasker's scrape text (default body, labeled keys with invalid names,
// le="Infinity", the error metric) and its "remote write" text, as OTel metrics.
func TestPromGolden(t *testing.T) {
	for _, name := range []string{"scrape_default", "scrape_labeled", "scrape_error", "push_text", "push_malformed"} {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "prom", name+".txt"))
			require.NoError(t, err)
			pt, errs := parsePromText(string(raw))
			r := promReceiver(t)
			md, sm := r.newPromMetrics("app-1:3000")
			promToMetrics(sm, promFamilies(pt), "app-1:3000", promNow, &r.promStarts)
			gp := filepath.Join("testdata", "prom", name+"_metrics.yaml")
			if *update {
				require.NoError(t, golden.WriteMetrics(t, gp, md, golden.SkipMetricTimestampNormalization()))
			}
			want, err := golden.ReadMetrics(gp)
			require.NoError(t, err)
			assert.NoError(t, pmetrictest.CompareMetrics(want, md))
			if name == "push_malformed" {
				require.Len(t, errs, 4)
				assert.Equal(t, []int{2, 3, 5, 6}, []int{errs[0].Line, errs[1].Line, errs[2].Line, errs[3].Line})
			} else {
				assert.Empty(t, errs)
			}
		})
	}
}

func TestPromDialect(t *testing.T) {
	s, err := parseSampleLine(`step_completed_total{"status"=>"ok", "handler"=>"X"}{status="ok"} 7`)
	require.NoError(t, err)
	assert.Equal(t, "step_completed_total", s.name)
	assert.Equal(t, []kv{{"handler", "X"}, {"status", "ok"}}, s.labels)
	s, err = parseSampleLine(`tasker_step_completed_total_total 9 1752440375000`)
	require.NoError(t, err)
	assert.Equal(t, "tasker_step_completed_total", s.name)
	assert.Equal(t, int64(1752440375000), s.ts)
	s, err = parseSampleLine(`x_bucket{le="Infinity"} 3`)
	require.NoError(t, err)
	assert.Equal(t, "+Inf", s.labels[0].v)
	s, err = parseSampleLine(`e_total{error="NoMethodError"} 1 1752440375.123`)
	require.NoError(t, err)
	assert.Equal(t, int64(1752440375123), s.ts, "float seconds")
}

// Counters get a start time that stays until the value goes down (a process restart).
func TestPromResetDetection(t *testing.T) {
	var c cumulativeStarts
	t1, t2, t3 := promNow, promNow.Add(time.Minute), promNow.Add(2*time.Minute)
	assert.Equal(t, t1, c.start("k", t1, 5))
	assert.Equal(t, t1, c.start("k", t2, 9))
	assert.Equal(t, t2, c.start("k", t3, 2), "reset: starts after the previous observation")
}

// remoteWrite builds a real remote-write 1.0 WriteRequest.
func remoteWrite(series map[string]float64, ts int64) []byte {
	var b []byte
	appendBytes := func(dst []byte, field byte, p []byte) []byte {
		dst = append(dst, field<<3|2)
		dst = binary.AppendUvarint(dst, uint64(len(p)))
		return append(dst, p...)
	}
	for name, v := range series {
		var tsb []byte
		label := appendBytes(appendBytes(nil, 1, []byte("__name__")), 2, []byte(name))
		tsb = appendBytes(tsb, 1, label)
		job := appendBytes(appendBytes(nil, 1, []byte("job")), 2, []byte("tasker"))
		tsb = appendBytes(tsb, 1, job)
		sample := append([]byte{1<<3 | 1}, binary.LittleEndian.AppendUint64(nil, math.Float64bits(v))...)
		sample = append(sample, 2<<3)
		sample = binary.AppendUvarint(sample, uint64(ts))
		tsb = appendBytes(tsb, 2, sample)
		b = appendBytes(b, 1, tsb)
	}
	return b
}

func pushReceiver(t *testing.T, user, pass string) (string, sinks) {
	return startHTTPReceiver(t, func(c *Config) {
		p := c.HTTP.Get().Push.GetOrInsertDefault()
		p.Username, p.Password = user, configopaque.String(pass)
	}, nil)
}

func pushPost(t *testing.T, url string, body []byte, hdr map[string]string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func sumValues(mds []pmetric.Metrics) map[string]float64 {
	got := map[string]float64{}
	for _, md := range mds {
		ms := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
		for i := 0; i < ms.Len(); i++ {
			if m := ms.At(i); m.Type() == pmetric.MetricTypeSum {
				got[m.Name()] += m.Sum().DataPoints().At(0).DoubleValue()
			}
		}
	}
	return got
}

// What Tasker's MetricsExportService sends: text lines under remote-write headers
// (snappy announced, body uncompressed), Basic auth; and a real snappy remote write.
func TestPushInput(t *testing.T) {
	base, s := pushReceiver(t, "tasker", "pw")
	text, err := os.ReadFile(filepath.Join("testdata", "prom", "push_text.txt"))
	require.NoError(t, err)
	tasker := map[string]string{"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
		"X-Prometheus-Remote-Write-Version": "0.1.0", "Authorization": "Basic dGFza2VyOnB3"}
	code, resp := pushPost(t, base+DefaultPushPath, text, tasker)
	require.Equal(t, http.StatusOK, code, "%v", resp)
	assert.Equal(t, float64(9), resp["accepted"])
	assert.Equal(t, map[string]float64{"tasker_step_completed_total": 9, "tasker_task_completed_total": 4, "tasker_x_total": 3}, sumValues(s.metrics.AllMetrics()))

	code, _ = pushPost(t, base+DefaultPushPath, text, map[string]string{"Authorization": "Basic dGFza2VyOndyb25n"})
	assert.Equal(t, http.StatusUnauthorized, code)

	s.metrics.Reset()
	rw := snappy.Encode(nil, remoteWrite(map[string]float64{"step_completed_total": 12}, 1752440375000))
	tasker["Content-Type"] = "application/x-protobuf"
	code, resp = pushPost(t, base+DefaultPushPath, rw, tasker)
	require.Equal(t, http.StatusOK, code, "%v", resp)
	assert.Equal(t, map[string]float64{"step_completed_total": 12}, sumValues(s.metrics.AllMetrics()))

	// Malformed lines are reported one by one; the valid ones are kept.
	s.metrics.Reset()
	bad, err := os.ReadFile(filepath.Join("testdata", "prom", "push_malformed.txt"))
	require.NoError(t, err)
	code, resp = pushPost(t, base+DefaultPushPath, bad, tasker)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, float64(2), resp["accepted"])
	assert.Equal(t, float64(4), resp["rejected"])
	assert.Len(t, resp["errors"], 4)
	assert.Equal(t, map[string]float64{"tasker_step_completed_total": 9, "tasker_task_completed_total": 4}, sumValues(s.metrics.AllMetrics()))
	code, _ = pushPost(t, base+DefaultPushPath, []byte("garbage\n"), tasker)
	assert.Equal(t, http.StatusBadRequest, code, "every line rejected")
}

// The scrape input polls Tasker's /tasker/metrics (bearer auth) and takes its dialect.
func TestScrapeInput(t *testing.T) {
	labeled, err := os.ReadFile(filepath.Join("testdata", "prom", "scrape_labeled.txt"))
	require.NoError(t, err)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Header.Get("Authorization") != "Bearer t0ken" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		hits.Add(1)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write(labeled)
	}))
	defer srv.Close()
	_, s := startHTTPReceiver(t, func(c *Config) {
		sc := c.Scrape.GetOrInsertDefault()
		sc.Interval = 20 * time.Millisecond
		tgt := ScrapeTarget{BearerToken: "t0ken"}
		tgt.ClientConfig.Endpoint = srv.URL + "/tasker/metrics"
		sc.Targets = []ScrapeTarget{tgt}
	}, nil)
	require.Eventually(t, func() bool { return len(s.metrics.AllMetrics()) >= 2 }, 5*time.Second, 10*time.Millisecond)
	md := s.metrics.AllMetrics()[0]
	ms := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	names := map[string]pmetric.MetricType{}
	for i := 0; i < ms.Len(); i++ {
		names[ms.At(i).Name()] = ms.At(i).Type()
	}
	assert.Equal(t, map[string]pmetric.MetricType{"step_completed_total": pmetric.MetricTypeSum,
		"workflow_active_tasks": pmetric.MetricTypeGauge, "step_duration_seconds": pmetric.MetricTypeHistogram}, names)
	inst, _ := md.ResourceMetrics().At(0).Resource().Attributes().Get("service.instance.id")
	assert.Equal(t, strings.TrimPrefix(srv.URL, "http://"), inst.Str())
	// The same start time on every scrape: a cumulative series.
	first := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints().At(0).StartTimestamp()
	second := s.metrics.AllMetrics()[1].ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints().At(0).StartTimestamp()
	assert.Equal(t, first, second)
}

func FuzzParsePromText(f *testing.F) {
	for _, n := range []string{"scrape_default", "scrape_labeled", "scrape_error", "push_text", "push_malformed"} {
		raw, err := os.ReadFile(filepath.Join("testdata", "prom", n+".txt"))
		if err == nil {
			f.Add(string(raw))
		}
	}
	f.Add(`x{"a"=>nil,"b"=>1}{c="\"q\\"} NaN -1`)
	f.Fuzz(func(t *testing.T, body string) {
		pt, errs := parsePromText(body)
		for _, s := range pt.samples {
			if s.name == "" {
				t.Fatal("sample without a name")
			}
		}
		for _, e := range errs {
			if e.Line < 1 || e.Message == "" {
				t.Fatalf("bad line error %+v", e)
			}
		}
		md := pmetric.NewMetrics()
		var c cumulativeStarts
		promToMetrics(md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty(), promFamilies(pt), "i", promNow, &c)
	})
}

func FuzzParseRemoteWrite(f *testing.F) {
	f.Add(remoteWrite(map[string]float64{"step_completed_total": 3}, 1752440375000))
	f.Add([]byte{0x0a, 0x02, 0x0a, 0x00})
	f.Fuzz(func(t *testing.T, body []byte) {
		pt, errs := parsePushBody(body)
		if len(pt.samples) == 0 && len(errs) == 0 && len(strings.TrimSpace(string(body))) > 0 && body[0] != 0x0a {
			// text that is all comments is fine; anything else is a sample or an error
			for _, l := range strings.Split(string(body), "\n") {
				if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
					t.Fatalf("line %q neither parsed nor reported", l)
				}
			}
		}
	})
}

func TestPromConfig(t *testing.T) {
	cm := confmap.NewFromStringMap(map[string]any{
		"http": map[string]any{"push": map[string]any{"username": "u", "password": "p"}},
		"scrape": map[string]any{"interval": "15s", "targets": []any{
			map[string]any{"endpoint": "https://app:3000/tasker/metrics", "bearer_token": "x", "timeout": "2s"}}},
	})
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, cm.Unmarshal(cfg))
	require.NoError(t, cfg.Validate())
	assert.Equal(t, DefaultPushPath, cfg.HTTP.Get().Push.Get().Path)
	sc := cfg.Scrape.Get()
	assert.Equal(t, 15*time.Second, sc.Interval)
	assert.Equal(t, DefaultScrapeTimeout, sc.Timeout)
	assert.Equal(t, 2*time.Second, sc.Targets[0].ClientConfig.Timeout)

	// Off unless configured.
	def := createDefaultConfig().(*Config)
	assert.False(t, def.HTTP.GetOrInsertDefault().Push.HasValue())
	assert.False(t, def.Scrape.HasValue())

	bad := confmap.NewFromStringMap(map[string]any{
		"http":   map[string]any{"push": map[string]any{"path": "/v1/events", "username": "u"}},
		"scrape": map[string]any{"interval": "0s", "targets": []any{map[string]any{"endpoint": "ftp://x", "bearer_token": "t", "username": "u"}}},
	})
	cfg = createDefaultConfig().(*Config)
	require.NoError(t, bad.Unmarshal(cfg))
	err := cfg.Validate()
	for _, want := range []string{"already the events or health path", "both username and password", "interval must be positive",
		"endpoint must be an http(s) URL", "bearer_token and username exclude each other"} {
		assert.ErrorContains(t, err, want)
	}
	only := createDefaultConfig().(*Config)
	require.NoError(t, confmap.NewFromStringMap(map[string]any{"scrape": map[string]any{"targets": []any{map[string]any{"endpoint": "http://a/tasker/metrics"}}}}).Unmarshal(only))
	only.HTTP = configoptional.None[HTTPConfig]()
	assert.NoError(t, only.Validate(), "scrape alone is an input")
}
