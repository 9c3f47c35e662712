// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const hostileSecret = "hostile-test-secret"

func gzipBytes(t *testing.T, raw []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	require.NoError(t, err)
	_, err = w.Write(raw)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.Bytes()
}

func zstdBytes(t *testing.T, raw []byte, opts ...zstd.EOption) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil, opts...)
	require.NoError(t, err)
	defer enc.Close()
	return enc.EncodeAll(raw, nil)
}

// hostileCase is one entry of the catalogue and the answer it must get.
type hostileCase struct {
	name  string
	body  []byte
	hdr   map[string]string
	plain []byte // what is signed, when not body (compressed bodies)
	code  int
	want  string // in the answer's body
}

// TestE2EHostileHTTP runs the HTTP part of the bad-input catalogue against the shipped
// config with a secret and require_timestamp.
func TestE2EHostileHTTP(t *testing.T) {
	s := startShipped(t, hostileSecret,
		"receivers::tasker::http::require_timestamp=true",
		"receivers::tasker::http::read_timeout=2s",
		"receivers::tasker::http::read_header_timeout=1s")

	valid, _ := validEvent()
	spaces := bytes.Repeat([]byte(" "), 64<<20) // 64 MiB of whitespace: compresses to ~64 KB
	tiny := []byte("[" + strings.Repeat("{},", 1_300_000) + "{}]")
	deep := []byte(`{"event":"task.completed","task_id":"deep","payload":` + strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000) + "}")
	bigString := []byte(`{"event":"task.completed","task_id":"big-string","task_name":"` + strings.Repeat("x", 1<<20) + `"}`)
	gz := gzipBytes(t, valid)
	ts, sig := signAt(hostileSecret, time.Now().Add(-10*time.Minute), valid)
	replayTS, replaySig := signAt(hostileSecret, time.Now(), valid)
	manyTiny := make([]string, 10_000)
	for i := range manyTiny {
		manyTiny[i] = `{"event":"step.completed","task_id":"tiny","step_id":` + strconv.Itoa(i) + `}`
	}
	cases := []hostileCase{
		{name: "malformed JSON", body: []byte(`{"event":"task.completed","task_id":`), code: 400, want: "invalid JSON"},
		{name: "not JSON", body: []byte("hello"), code: 400, want: "invalid JSON"},
		{name: "empty body", body: []byte{}, code: 400, want: "empty body"},
		{name: "truncated gzip", body: gz[:len(gz)/2], plain: valid, hdr: map[string]string{"Content-Encoding": "gzip"}, code: 400, want: "reading body: unexpected EOF"},
		{name: "gzip bomb", body: gzipBytes(t, spaces), plain: spaces, hdr: map[string]string{"Content-Encoding": "gzip"}, code: 413, want: "body larger than max_request_body_size (20971520 bytes, after decompression)"},
		{name: "zstd bomb", body: zstdBytes(t, spaces), plain: spaces, hdr: map[string]string{"Content-Encoding": "zstd"}, code: 413, want: "body larger than max_request_body_size"},
		{name: "zstd 256 MiB window", body: zstdWindowFrame(valid, 28), plain: valid, hdr: map[string]string{"Content-Encoding": "zstd"}, code: 400, want: "window size exceeded"},
		{name: "zstd 8 MiB window", body: zstdWindowFrame(valid, 23), plain: valid, hdr: map[string]string{"Content-Encoding": "zstd"}, code: 200},
		{name: "tiny-event bomb", body: gzipBytes(t, tiny), plain: tiny, hdr: map[string]string{"Content-Encoding": "gzip"}, code: 413, want: "more than max_events (10000) events in one request"},
		{name: "oversize", body: bytes.Repeat([]byte(" "), 21<<20), code: 413, want: "body larger than max_request_body_size"},
		{name: "unknown encoding", body: valid, hdr: map[string]string{"Content-Encoding": "br"}, code: 400, want: "unsupported Content-Encoding: br"},
		{name: "wrong content type", body: valid, hdr: map[string]string{"Content-Type": "application/xml"}, code: 415, want: `is not supported; send application/json or application/x-ndjson`},
		{name: "invalid UTF-8", body: []byte("{\"event\":\"task.completed\",\"task_id\":\"utf8\",\"task_name\":\"bad \xff\xfe bytes\"}"), code: 200},
		{name: "10000-deep nesting", body: deep, code: 400, want: "nesting deeper than 512 levels"},
		{name: "1 MB string", body: bigString, code: 200},
		{name: "out-of-range number", body: []byte(`{"event":"step.completed","task_id":"range","step_id":1,"attempt_number":1e400}`), code: 400, want: "number out of range"},
		{name: "huge integer id", body: []byte(`{"event":"task.completed","task_id":123456789012345678901234567890}`), code: 400, want: "task_id"},
		{name: "wrong id type", body: []byte(`{"event":"task.completed","task_id":{"id":1}}`), code: 400, want: "task_id"},
		{name: "wrong id type in a batch", body: []byte("[" + string(valid) + `,{"event":"task.completed","task_id":[1]}]`), code: 200, want: `"rejected":1`},
		{name: "missing signature", body: valid, hdr: map[string]string{"X-Tasker-Signature": ""}, code: 401, want: "missing or invalid X-Tasker-Signature"},
		{name: "bad signature", body: valid, hdr: map[string]string{"X-Tasker-Signature": "sha256=" + strings.Repeat("ab", 32)}, code: 401, want: "missing or invalid X-Tasker-Signature"},
		{name: "malformed signature", body: valid, hdr: map[string]string{"X-Tasker-Signature": "md5=zz"}, code: 401, want: "missing or invalid X-Tasker-Signature"},
		{name: "missing timestamp", body: valid, hdr: map[string]string{"X-Tasker-Timestamp": ""}, code: 401, want: "missing X-Tasker-Timestamp"},
		{name: "replayed (old timestamp)", body: valid, hdr: map[string]string{"X-Tasker-Timestamp": ts, "X-Tasker-Signature": sig}, code: 401, want: "refused as a possible replay"},
		{name: "signed once", body: valid, hdr: map[string]string{"X-Tasker-Timestamp": replayTS, "X-Tasker-Signature": replaySig}, code: 200},
		{name: "replayed within the window", body: valid, hdr: map[string]string{"X-Tasker-Timestamp": replayTS, "X-Tasker-Signature": replaySig}, code: 200},
		{name: "many tiny events", body: []byte(strings.Join(manyTiny, "\n")), code: 200, want: `"accepted":10000`},
		{name: "one tiny event too many", body: []byte(strings.Join(append(manyTiny, manyTiny[0]), "\n")), code: 413, want: "more than max_events (10000)"},
	}
	for _, c := range cases {
		a := s.post(t, c.body, c.hdr, c.plain)
		t.Logf("%-28s → %d %.160s", c.name, a.code, strings.TrimSpace(a.raw))
		if assert.Equal(t, c.code, a.code, "%s: %s", c.name, a.raw) && c.want != "" {
			assert.Contains(t, a.raw, c.want, c.name)
		}
		if c.code >= 400 {
			assert.NotEmpty(t, a.errorText()+a.raw, "%s: every refusal says why", c.name)
		}
	}

	slowBody(t, s)
	slowHeaders(t, s)
	s.stillServing(t)
	raw, err := os.ReadFile(s.logsPath())
	require.NoError(t, err)
	assert.Contains(t, string(raw), "\"bad \uFFFD bytes\"", "invalid UTF-8 is written as U+FFFD")
	assert.True(t, utf8.Valid(raw), "the logs file is valid UTF-8")
	assert.Contains(t, string(raw), strings.Repeat("x", 1<<20), "the 1 MB string is written whole")
	s.assertRSS(t, "bad-input catalogue")
}

// zstdWindowFrame is a zstd frame of one raw block holding raw, whose header declares a
// window of 1<<windowLog bytes (a decoder allocates up to that much).
func zstdWindowFrame(raw []byte, windowLog int) []byte {
	f := []byte{0x28, 0xB5, 0x2F, 0xFD, 0x00, byte(windowLog-10) << 3}
	h := 1 | len(raw)<<3 // last block, raw, size
	f = append(f, byte(h), byte(h>>8), byte(h>>16))
	return append(f, raw...)
}

// slowBody: headers, part of the body, then nothing; read_timeout (2s) answers 408.
func slowBody(t *testing.T, s *shipped) {
	conn, err := net.Dial("tcp", strings.TrimPrefix(strings.TrimSuffix(s.events, "/v1/events"), "http://"))
	require.NoError(t, err)
	defer conn.Close()
	start := time.Now()
	_, err = fmt.Fprintf(conn, "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"event\":")
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err, "a stalled body gets an answer")
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	t.Logf("%-28s → %d %s after %s", "slow body", resp.StatusCode, strings.TrimSpace(string(raw)), time.Since(start).Round(10*time.Millisecond))
	assert.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
	assert.Contains(t, string(raw), "the body was not received within read_timeout (2s)")
	assert.Less(t, time.Since(start), 5*time.Second)
}

// slowHeaders: a request line and no end of headers; the connection is closed once
// read_header_timeout (1s) passes (no request was read, so there is nothing to answer).
func slowHeaders(t *testing.T, s *shipped) {
	conn, err := net.Dial("tcp", strings.TrimPrefix(strings.TrimSuffix(s.events, "/v1/events"), "http://"))
	require.NoError(t, err)
	defer conn.Close()
	start := time.Now()
	_, err = fmt.Fprintf(conn, "POST /v1/events HTTP/1.1\r\nHost: x\r\n")
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	n, err := conn.Read(make([]byte, 1))
	t.Logf("%-28s → closed after %s (%d bytes, %v)", "slow headers", time.Since(start).Round(10*time.Millisecond), n, err)
	assert.ErrorIs(t, err, io.EOF, "the server closed the connection")
	assert.Less(t, time.Since(start), 5*time.Second)
}
