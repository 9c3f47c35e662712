// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
)

// parserItems is the number of items the parser delivers for body.
func parserItems(body string) int {
	n := 0
	_ = tasker.ParseBatch([]byte(body), func(int, tasker.Event, error) { n++ })
	return n
}

// TestItemCounterAgreesWithParser: fed in chunks of any size, the streaming count is
// the parser's for well-formed bodies (malformed ones only must not upset it: the
// handler's count of the parser's deliveries is the exact bound for them).
func TestItemCounterAgreesWithParser(t *testing.T) {
	valid := []string{
		evCompleted,
		"[" + evCompleted + "," + evTask + "]",
		"\xEF\xBB\xBF[ {} , {} ,{}]",
		"[]", " [ ] ",
		evCompleted + "\n\n" + evTask + "\n",
		`{"a":"}{","b":"\"{[","c":[{},{}],"d":{"e":[1,[2,{"f":"]"}]]}}` + "\n{}",
		`[{"a":"\\"},{"b":"\\\"]"},1,"x",[1,2],null]`,
		"{}{} {}\n{}",
		"{\n  \"event\": \"task.completed\",\n  \"task_id\": 1\n}\n{\n}\n",
	}
	malformed := []string{
		"not json", "{} garbage {}\n{}", "[{},", `[{"a":}]`, "{\"a\":[\n{}\n{}\n{}\n", "\n\n{\"a\":\"\n{}\n{}",
		"[1,2]]", "nope\n{}\n[1]\n\"s\"\n",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, body := range append(valid, malformed...) {
		want := parserItems(body)
		for range 20 {
			var c itemCounter
			got := 0
			for rest := []byte(body); len(rest) > 0; {
				k := 1 + rng.IntN(len(rest))
				got = c.feed(rest[:k])
				rest = rest[k:]
			}
			if contains(valid, body) {
				require.Equal(t, want, got, "%q", body)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func gzipped(t testing.TB, raw []byte) []byte {
	var gz bytes.Buffer
	w, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	require.NoError(t, err)
	_, _ = w.Write(raw)
	require.NoError(t, w.Close())
	return gz.Bytes()
}

func TestHTTPMaxEvents(t *testing.T) {
	url, s := startHTTPReceiver(t, func(c *Config) { c.HTTP.Get().MaxEvents = 5 }, nil)
	five := "[" + strings.TrimSuffix(strings.Repeat(evCompleted+",", 5), ",") + "]"
	code, _, resp := post(t, url+"/v1/events", "application/json", []byte(five), nil)
	require.Equal(t, http.StatusOK, code, "%v", resp)

	for name, body := range map[string]string{
		"array":  "[" + strings.Repeat(evCompleted+",", 5) + evCompleted + "]",
		"ndjson": strings.Repeat(evCompleted+"\n", 6),
		// The scan sees one object that never closes; the parser resumes at every line.
		"broken": "{\"a\":[\n" + strings.Repeat("{}\n", 6),
	} {
		code, _, resp = post(t, url+"/v1/events", "application/json", []byte(body), nil)
		assert.Equal(t, http.StatusRequestEntityTooLarge, code, name)
		assert.Equal(t, "more than max_events (5) events in one request; send smaller batches", resp["error"], name)
	}
	assert.Equal(t, 5, s.logs.LogRecordCount(), "only the first request went through")
}

// TestHTTPTinyEventBomb: 40 KB of gzip expanding to 1.3M empty objects is refused while
// it streams in, after a few chunks.
func TestHTTPTinyEventBomb(t *testing.T) {
	url, s := startHTTPReceiver(t, nil, nil)
	raw := []byte("[" + strings.Repeat("{},", 1_300_000) + "{}]")
	gz := gzipped(t, raw)
	require.Less(t, len(gz), 64<<10)
	start := time.Now()
	code, _, resp := post(t, url+"/v1/events", "application/json", gz, map[string]string{"Content-Encoding": "gzip"})
	assert.Equal(t, http.StatusRequestEntityTooLarge, code)
	assert.Contains(t, resp["error"], "max_events (10000)")
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.Zero(t, s.logs.LogRecordCount())
}

// blockingLogs holds every batch until release is closed.
type blockingLogs struct {
	consumertest.LogsSink
	entered chan struct{}
	release chan struct{}
	n       atomic.Int64
}

func (b *blockingLogs) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	b.entered <- struct{}{}
	<-b.release
	b.n.Add(int64(ld.LogRecordCount()))
	return nil
}

func TestHTTPInFlightBudget(t *testing.T) {
	bl := &blockingLogs{entered: make(chan struct{}, 4), release: make(chan struct{})}
	url, _ := startHTTPReceiver(t, func(c *Config) {
		h := c.HTTP.Get()
		h.ServerConfig.MaxRequestBodySize = 4096
		h.MaxInFlightBytes = 4096
	}, bl)
	body := []byte("[" + strings.TrimSuffix(strings.Repeat(evCompleted+",", 20), ",") + "]") // ~3 KB
	require.Less(t, len(body), 4096)
	first := make(chan int, 1)
	go func() {
		code, _, _ := post(t, url+"/v1/events", "application/json", body, nil)
		first <- code
	}()
	<-bl.entered // the first request holds its body while the pipeline blocks
	code, hdr, resp := post(t, url+"/v1/events", "application/json", body, nil)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, retryAfterSeconds, hdr.Get("Retry-After"))
	assert.Equal(t, "the receiver holds max_in_flight_bytes (4096) of requests in flight; retry later", resp["error"])
	big := append(body, bytes.Repeat([]byte(" "), 4096)...)
	code, _, resp = post(t, url+"/v1/events", "application/json", big, nil)
	assert.Equal(t, http.StatusRequestEntityTooLarge, code, "a body that can never fit is not told to retry")
	assert.Equal(t, "body larger than max_request_body_size (4096 bytes, after decompression)", resp["error"])
	close(bl.release)
	assert.Equal(t, http.StatusOK, <-first)
	code, _, _ = post(t, url+"/v1/events", "application/json", body, nil)
	assert.Equal(t, http.StatusOK, code, "the budget was given back")
	assert.Equal(t, int64(40), bl.n.Load())
}

// TestHTTPSlowBody: a body that stalls is answered 408 once read_timeout passes.
func TestHTTPSlowBody(t *testing.T) {
	url, _ := startHTTPReceiver(t, func(c *Config) { c.HTTP.Get().ServerConfig.ReadTimeout = 300 * time.Millisecond }, nil)
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"event\":")
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	assert.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
	assert.Contains(t, string(raw), "not received within read_timeout (300ms)")
}

func signTS(secret string, ts int64, body []byte) (string, string) {
	s := strconv.FormatInt(ts, 10)
	return s, "sha256=" + hex.EncodeToString(hmacOf([]byte(secret), []byte(s), body))
}

func TestHTTPTimestampSignature(t *testing.T) {
	body := []byte(evCompleted)
	now := time.Now().Unix()
	post1 := func(url string, ts, sig string) (int, string) {
		h := map[string]string{}
		if ts != "" {
			h[TimestampHeader] = ts
		}
		if sig != "" {
			h[SignatureHeader] = sig
		}
		code, _, resp := post(t, url+"/v1/events", "application/json", body, h)
		msg, _ := resp["error"].(string)
		return code, msg
	}
	strict, _ := startHTTPReceiver(t, func(c *Config) {
		c.HTTP.Get().Secret = "k"
		c.HTTP.Get().RequireTimestamp = true
	}, nil)
	ts, sig := signTS("k", now, body)
	code, _ := post1(strict, ts, sig)
	assert.Equal(t, http.StatusOK, code)
	old, oldSig := signTS("k", now-600, body)
	code, msg := post1(strict, old, oldSig)
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Contains(t, msg, "beyond timestamp_tolerance (5m0s): refused as a possible replay")
	code, msg = post1(strict, "", sign("k", body))
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Contains(t, msg, "missing X-Tasker-Timestamp")
	code, _ = post1(strict, strconv.FormatInt(now+1, 10), sig) // the timestamp is signed
	assert.Equal(t, http.StatusUnauthorized, code)
	code, msg = post1(strict, "yesterday", sig)
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Contains(t, msg, "must be the Unix time in seconds")

	// Without require_timestamp both schemes are accepted, and the window is not applied.
	lax, s := startHTTPReceiver(t, func(c *Config) { c.HTTP.Get().Secret = "k" }, nil)
	code, _ = post1(lax, "", sign("k", body))
	assert.Equal(t, http.StatusOK, code)
	code, _ = post1(lax, old, oldSig)
	assert.Equal(t, http.StatusOK, code)
	code, _ = post1(lax, ts, sign("k", body)) // a timestamp present must be signed
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Equal(t, 2, s.logs.LogRecordCount())
}

func TestConfigHTTPProtection(t *testing.T) {
	for ep, ok := range map[string]bool{
		"127.0.0.1:4320": true, "localhost:4320": true, "[::1]:4320": true,
		"0.0.0.0:4320": false, ":4320": false, "10.1.2.3:4320": false, "[::]:4320": false,
	} {
		cfg := createDefaultConfig().(*Config)
		cfg.HTTP.GetOrInsertDefault().ServerConfig.NetAddr.Endpoint = ep
		err := cfg.Validate()
		if ok {
			assert.NoError(t, err, ep)
			continue
		}
		require.Error(t, err, ep)
		assert.Contains(t, err.Error(), "accepts connections from other hosts but no secret (or auth) is set", ep)
		cfg.HTTP.Get().Insecure = true
		assert.NoError(t, cfg.Validate(), ep)
		cfg.HTTP.Get().Insecure = false
		cfg.HTTP.Get().Secret = "s"
		assert.NoError(t, cfg.Validate(), ep)
	}
	cfg := createDefaultConfig().(*Config)
	h := cfg.HTTP.GetOrInsertDefault()
	h.MaxEvents, h.MaxInFlightBytes, h.RequireTimestamp, h.TimestampTolerance = 0, 1<<20, true, 10*time.Millisecond
	err := cfg.Validate()
	require.Error(t, err)
	for _, want := range []string{
		"http: max_events must be at least 1, got 0",
		"http: max_in_flight_bytes (1048576) must be at least max_request_body_size (20971520)",
		"http: require_timestamp needs secret",
		"http: timestamp_tolerance must be at least 1s, got 10ms",
	} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestConfigDurationWithoutUnit(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	err := confmap.NewFromStringMap(map[string]any{
		"http":  map[string]any{"read_timeout": 30, "timestamp_tolerance": "5m"},
		"spans": map[string]any{"max_age": 3600},
	}).Unmarshal(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `http::read_timeout: 30 has no unit; a duration needs one, e.g. "30s"`)
	assert.Contains(t, err.Error(), "spans::max_age: 3600 has no unit")
}

// FuzzItemCounter: for every body the parser reads without a syntax error, the
// streaming count equals the parser's items, however the body is cut into chunks.
func FuzzItemCounter(f *testing.F) {
	for _, s := range []string{evCompleted, "[" + evCompleted + "," + evTask + "]", `[{"a":"]\"["},[],{}]`, "{}\n{} {}", "[1,\"x\",null]"} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, body []byte, cut uint8) {
		want, syntax := 0, false
		perr := tasker.ParseBatch(body, func(_ int, _ tasker.Event, err error) {
			want++
			if err != nil && strings.Contains(err.Error(), "invalid JSON") {
				syntax = true
			}
		})
		if perr != nil || syntax {
			return
		}
		var c itemCounter
		step := int(cut)%7 + 1
		got := 0
		for i := 0; i < len(body); i += step {
			got = c.feed(body[i:min(i+step, len(body))])
		}
		if len(body) == 0 {
			got = 0
		}
		if got != want {
			t.Fatalf("count %d, parser %d items: %q", got, want, body)
		}
	})
}
