// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/tasker-systems/otelcol-tasker/receiver/taskerreceiver/internal/metadata"
	"github.com/tasker-systems/otelcol-tasker/receiver/taskerreceiver/internal/metadatatest"
)

type sinks struct {
	logs    *consumertest.LogsSink
	traces  *consumertest.TracesSink
	metrics *consumertest.MetricsSink
}

// startHTTPReceiver starts a real receiver on a free loopback port, with all three
// signals, and returns its base URL.
func startHTTPReceiver(t testing.TB, mut func(*Config), logs consumer.Logs) (string, sinks) {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	cfg.HTTP.GetOrInsertDefault().ServerConfig.NetAddr.Endpoint = "127.0.0.1:0"
	if mut != nil {
		mut(cfg)
	}
	require.NoError(t, cfg.Validate())
	s := sinks{logs: new(consumertest.LogsSink), traces: new(consumertest.TracesSink), metrics: new(consumertest.MetricsSink)}
	if logs == nil {
		logs = s.logs
	}
	set := receivertest.NewNopSettings(metadata.Type)
	f := NewFactory()
	ctx := context.Background()
	lr, err := f.CreateLogs(ctx, set, cfg, logs)
	require.NoError(t, err)
	tr, err := f.CreateTraces(ctx, set, cfg, s.traces)
	require.NoError(t, err)
	mr, err := f.CreateMetrics(ctx, set, cfg, s.metrics)
	require.NoError(t, err)
	host := componenttest.NewNopHost()
	require.NoError(t, lr.Start(ctx, host))
	require.NoError(t, tr.Start(ctx, host))
	require.NoError(t, mr.Start(ctx, host))
	t.Cleanup(func() {
		require.NoError(t, lr.Shutdown(ctx))
		require.NoError(t, tr.Shutdown(ctx))
		require.NoError(t, mr.Shutdown(ctx))
	})
	r := lr.(*taskerReceiver)
	return "http://" + r.addr, s
}

func post(t testing.TB, url, contentType string, body []byte, hdr map[string]string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var m map[string]any
	if len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &m), "body %s", raw)
	}
	return resp.StatusCode, resp.Header, m
}

const (
	evCompleted = `{"event":"step.completed","task_id":1,"step_id":2,"step_name":"a","attempt_number":1,"execution_duration":0.5,"timestamp":"2026-01-10T10:00:00Z"}`
	evTask      = `{"event":"task.completed","task_id":"1","task_name":"t","started_at":"2026-01-10T09:59:00Z","timestamp":"2026-01-10T10:00:01Z"}`
)

func TestHTTPSingleArrayNDJSON(t *testing.T) {
	url, s := startHTTPReceiver(t, nil, nil)
	code, _, body := post(t, url+"/v1/events", "application/json", []byte(evCompleted), nil)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, map[string]any{"accepted": 1.0, "duplicates": 0.0, "rejected": 0.0, "errors": []any{}}, body)

	code, _, body = post(t, url+"/v1/events", "application/json", []byte("["+evCompleted+","+evTask+"]"), nil)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, 2.0, body["accepted"])
	assert.Equal(t, 1.0, body["duplicates"], "the step completion was seen before")

	code, _, body = post(t, url+"/v1/events", "application/x-ndjson", []byte(evCompleted+"\n\n"+evTask+"\n"), nil)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, 2.0, body["accepted"])
	assert.Equal(t, 2.0, body["duplicates"], "a re-sent batch: every completion a duplicate")

	assert.Equal(t, 5, s.logs.LogRecordCount())
	// step 1/2 attempt 1 completed once (the rest are duplicates), task 1 once: ids as
	// numbers and strings are the same entity.
	assert.Equal(t, 2, s.traces.SpanCount())
	require.NotEmpty(t, s.metrics.AllMetrics())
}

func TestHTTPPartialSuccess(t *testing.T) {
	url, s := startHTTPReceiver(t, nil, nil)
	body := evCompleted + "\n" + `{"event":"step.failed","task_id":{"x":1}}` + "\n" + `{"event":` + "\n" + evTask + "\n"
	code, _, resp := post(t, url+"/v1/events", "application/x-ndjson", []byte(body), nil)
	require.Equal(t, http.StatusOK, code, "%v", resp)
	assert.Equal(t, 2.0, resp["accepted"])
	assert.Equal(t, 2.0, resp["rejected"])
	errs := resp["errors"].([]any)
	require.Len(t, errs, 2)
	first := errs[0].(map[string]any)
	assert.Equal(t, 1.0, first["index"])
	assert.Equal(t, "task_id", first["field"])
	assert.NotEmpty(t, first["message"])
	assert.Equal(t, 2.0, errs[1].(map[string]any)["index"])
	assert.Equal(t, 2, s.logs.LogRecordCount())

	// All rejected: 400 with the same body.
	code, _, resp = post(t, url+"/v1/events", "application/json", []byte(`{"event":"x","task_id":[1]}`), nil)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, 1.0, resp["rejected"])
}

func TestHTTPMalformed(t *testing.T) {
	url, _ := startHTTPReceiver(t, nil, nil)
	code, _, resp := post(t, url+"/v1/events", "application/json", []byte("[\n"+evCompleted+",\n{\"event\": }]"), nil)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.NotEmpty(t, resp["error"])
	assert.Equal(t, 3.0, resp["line"])
	assert.Contains(t, resp, "offset")
	code, _, _ = post(t, url+"/v1/events", "application/json", nil, nil)
	assert.Equal(t, http.StatusBadRequest, code)
}

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func TestHTTPSignature(t *testing.T) {
	url, s := startHTTPReceiver(t, func(c *Config) { c.HTTP.Get().Secret = "topsecret" }, nil)
	body := []byte(evCompleted)
	code, _, _ := post(t, url+"/v1/events", "application/json", body, nil)
	assert.Equal(t, http.StatusUnauthorized, code)
	code, _, _ = post(t, url+"/v1/events", "application/json", body, map[string]string{SignatureHeader: sign("wrong", body)})
	assert.Equal(t, http.StatusUnauthorized, code)
	code, _, _ = post(t, url+"/v1/events", "application/json", body, map[string]string{SignatureHeader: "sha256=zz"})
	assert.Equal(t, http.StatusUnauthorized, code)
	code, _, _ = post(t, url+"/v1/events", "application/json", body, map[string]string{SignatureHeader: sign("topsecret", body)})
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, 1, s.logs.LogRecordCount())
}

func TestHTTPCompression(t *testing.T) {
	url, s := startHTTPReceiver(t, func(c *Config) { c.HTTP.Get().Secret = "k" }, nil)
	raw := []byte(evCompleted + "\n" + evTask + "\n")

	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	_, _ = w.Write(raw)
	require.NoError(t, w.Close())
	code, _, resp := post(t, url+"/v1/events", "application/x-ndjson", gz.Bytes(), map[string]string{"Content-Encoding": "gzip", SignatureHeader: sign("k", raw)})
	assert.Equal(t, http.StatusOK, code, "%v", resp)

	enc, err := zstd.NewWriter(nil)
	require.NoError(t, err)
	zs := enc.EncodeAll(raw, nil)
	require.NoError(t, enc.Close())
	code, _, resp = post(t, url+"/v1/events", "application/x-ndjson", zs, map[string]string{"Content-Encoding": "zstd", SignatureHeader: sign("k", raw)})
	assert.Equal(t, http.StatusOK, code, "%v", resp)
	assert.Equal(t, 4, s.logs.LogRecordCount())

	code, _, _ = post(t, url+"/v1/events", "application/x-ndjson", []byte("not gzip"), map[string]string{"Content-Encoding": "gzip", SignatureHeader: sign("k", raw)})
	assert.Equal(t, http.StatusBadRequest, code)
}

func TestHTTPMethodTypeSize(t *testing.T) {
	url, _ := startHTTPReceiver(t, func(c *Config) { c.HTTP.Get().ServerConfig.MaxRequestBodySize = 1024 }, nil)
	resp, err := http.Get(url + "/v1/events")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Equal(t, "POST", resp.Header.Get("Allow"))

	code, _, _ := post(t, url+"/v1/events", "application/x-www-form-urlencoded", []byte(evCompleted), nil)
	assert.Equal(t, http.StatusUnsupportedMediaType, code)
	code, _, _ = post(t, url+"/v1/events", "application/xml", []byte(evCompleted), nil)
	assert.Equal(t, http.StatusUnsupportedMediaType, code)

	big := []byte("[" + strings.Repeat(evCompleted+",", 20) + evCompleted + "]")
	code, _, resp2 := post(t, url+"/v1/events", "application/json", big, nil)
	assert.Equal(t, http.StatusRequestEntityTooLarge, code, "%v", resp2)

	resp, err = http.Get(url + "/health")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestHTTPConsumerRefuses(t *testing.T) {
	url, _ := startHTTPReceiver(t, nil, consumertest.NewErr(errors.New("queue full")))
	code, hdr, resp := post(t, url+"/v1/events", "application/json", []byte(evCompleted), nil)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, retryAfterSeconds, hdr.Get("Retry-After"))
	assert.Contains(t, resp["error"], "queue full")

	url2, _ := startHTTPReceiver(t, nil, consumertest.NewErr(consumererror.NewPermanent(errors.New("bad data"))))
	code, _, _ = post(t, url2+"/v1/events", "application/json", []byte(evCompleted), nil)
	assert.Equal(t, http.StatusBadRequest, code)
}

func TestSharedReceiverAcrossSignals(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.HTTP.GetOrInsertDefault().ServerConfig.NetAddr.Endpoint = "127.0.0.1:0"
	set := receivertest.NewNopSettings(metadata.Type)
	l, err := NewFactory().CreateLogs(context.Background(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	tr, err := NewFactory().CreateTraces(context.Background(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	assert.Same(t, l, tr)
	require.NoError(t, l.Shutdown(context.Background()))
}

var _ = plog.NewLogs
var _ = time.Second

// TestHTTPObsReport: the collector's standard receiver telemetry counts what the
// pipeline accepted and refused, by transport.
func TestHTTPObsReport(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := metadatatest.NewSettings(tel)
	cfg := createDefaultConfig().(*Config)
	cfg.HTTP.GetOrInsertDefault().ServerConfig.NetAddr.Endpoint = "127.0.0.1:0"
	refuse := &toggleLogs{}
	lr, err := NewFactory().CreateLogs(context.Background(), set, cfg, refuse)
	require.NoError(t, err)
	require.NoError(t, lr.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, lr.Shutdown(context.Background())) })
	url := "http://" + lr.(*taskerReceiver).addr + "/v1/events"

	code, _, _ := post(t, url, "application/json", []byte("["+evCompleted+","+evCompleted+"]"), nil)
	require.Equal(t, http.StatusOK, code)
	refuse.refuse.Store(true)
	code, _, _ = post(t, url, "application/json", []byte(evCompleted), nil)
	require.Equal(t, http.StatusServiceUnavailable, code)

	sum := func(name string) int64 {
		m, err := tel.GetMetric(name)
		require.NoError(t, err, name)
		var n int64
		for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
			if tr, _ := dp.Attributes.Value("transport"); tr.AsString() == "http" {
				n += dp.Value
			}
		}
		return n
	}
	assert.Equal(t, int64(2), sum("otelcol_receiver_accepted_log_records"))
	assert.Equal(t, int64(1), sum("otelcol_receiver_refused_log_records"))
}

// toggleLogs accepts logs until refuse is set.
type toggleLogs struct {
	consumertest.LogsSink
	refuse atomic.Bool
}

func (s *toggleLogs) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if s.refuse.Load() {
		return errors.New("queue full")
	}
	return s.LogsSink.ConsumeLogs(ctx, ld)
}
