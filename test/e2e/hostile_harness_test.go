// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The bad-input catalogue: the shipped otelcol-config.yaml, ports moved to free ones,
// fed hostile input. Every answer is asserted, and afterwards a valid event still goes
// through to the files and the process's peak RSS is bounded.

// maxHostileRSS is the bound of the collector's peak RSS (VmHWM) in these tests.
const maxHostileRSS = 1 << 30

// shipped is a collector running otelcol-config.yaml in a temporary directory.
type shipped struct {
	c      *collector
	dir    string
	events string // URL of the events path
	secret string
}

// startShipped starts otelcol-config.yaml with free ports and the extra --set values.
func startShipped(t *testing.T, secret string, extra ...string) *shipped {
	t.Helper()
	bin := tool(t, "OTELCOL_TASKER_BIN")
	dir := t.TempDir()
	health, events := freePort(t), freePort(t)
	sets := append([]string{
		"receivers::otlp::protocols::grpc::endpoint=127.0.0.1:" + strconv.Itoa(freePort(t)),
		"receivers::otlp::protocols::http::endpoint=127.0.0.1:" + strconv.Itoa(freePort(t)),
		"receivers::tasker::http::endpoint=127.0.0.1:" + strconv.Itoa(events),
		"receivers::tasker::logs::poll_interval=50ms",
		"extensions::health_check::endpoint=127.0.0.1:" + strconv.Itoa(health),
		"extensions::tasker_registry::endpoint=127.0.0.1:" + strconv.Itoa(freePort(t)),
		"service::telemetry::metrics::level=none",
	}, extra...)
	if secret != "" {
		sets = append(sets, "receivers::tasker::http::secret="+secret)
	}
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "out", "demo"), 0o755))
	c := startCollector(t, bin, dir, repoFile(t, "otelcol-config.yaml"), health, sets...)
	return &shipped{c: c, dir: dir, events: "http://127.0.0.1:" + strconv.Itoa(events) + "/v1/events", secret: secret}
}

func (s *shipped) logsPath() string { return filepath.Join(s.dir, "out", "json", "logs.json") }

// answer is an HTTP answer: status, headers and the decoded JSON body.
type answer struct {
	code int
	hdr  http.Header
	body map[string]any
	raw  string
}

func (a answer) errorText() string { e, _ := a.body["error"].(string); return e }

// post sends body with the headers; signed adds a fresh timestamped signature of the
// decoded JSON (plain) when the collector has a secret.
func (s *shipped) post(t *testing.T, body []byte, hdr map[string]string, plain []byte) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.events, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if s.secret != "" {
		if plain == nil {
			plain = body
		}
		ts, sig := signAt(s.secret, time.Now(), plain)
		req.Header.Set("X-Tasker-Timestamp", ts)
		req.Header.Set("X-Tasker-Signature", sig)
	}
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	client := &http.Client{Timeout: 60 * time.Second}
	resp, err := client.Do(req)
	require.NoError(t, err, "every request gets an answer")
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	a := answer{code: resp.StatusCode, hdr: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

// signAt is the timestamped signature of body at time at: X-Tasker-Timestamp and
// X-Tasker-Signature values.
func signAt(secret string, at time.Time, body []byte) (string, string) {
	ts := strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return ts, "sha256=" + hex.EncodeToString(m.Sum(nil))
}

var markerSeq atomic.Int64

// validEvent is a task.completed event whose task id is a fresh marker.
func validEvent() (body []byte, marker string) {
	marker = "hostile-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.FormatInt(markerSeq.Add(1), 10)
	ev := `{"event":"task.completed","task_id":"` + marker + `","task_name":"hostile","timestamp":"` +
		time.Now().UTC().Format(time.RFC3339Nano) + `"}`
	return []byte(ev), marker
}

// stillServing posts a valid event and waits until its record is in the logs file.
func (s *shipped) stillServing(t *testing.T) {
	t.Helper()
	body, marker := validEvent()
	a := s.post(t, body, nil, nil)
	require.Equal(t, http.StatusOK, a.code, "a valid event after the hostile input: %s", a.raw)
	waitForText(t, s.logsPath(), marker)
}

// waitForText waits until the file contains text.
func waitForText(t *testing.T, path, text string) {
	t.Helper()
	eventually(t, 30*time.Second, func() error {
		raw, _ := os.ReadFile(path)
		if !bytes.Contains(raw, []byte(text)) {
			return errorf("%s does not contain %q yet", path, text)
		}
		return nil
	})
}

// peakRSS is the collector's VmHWM in bytes (/proc/<pid>/status).
func (c *collector) peakRSS(t *testing.T) int64 {
	t.Helper()
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(c.cmd.Process.Pid) + "/status")
	require.NoError(t, err)
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			require.NoError(t, err, line)
			return kb << 10
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", c.cmd.Process.Pid)
	return 0
}

// assertRSS checks the bound and logs the figure.
func (s *shipped) assertRSS(t *testing.T, what string) int64 {
	t.Helper()
	rss := s.c.peakRSS(t)
	t.Logf("%s: peak RSS (VmHWM) %.1f MiB", what, float64(rss)/(1<<20))
	require.Less(t, rss, int64(maxHostileRSS), "%s: peak RSS %d bytes", what, rss)
	return rss
}
