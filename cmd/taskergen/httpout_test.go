// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"compress/gzip"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// server records what taskergen posts.
type server struct {
	*httptest.Server
	mu       sync.Mutex
	bodies   [][]byte // accepted, decompressed
	reqs     []*http.Request
	times    []time.Time
	respond  func(n int, w http.ResponseWriter) bool // true: answered (not accepted)
	secret   string
	signWire bool
	errs     []string
}

func newServer(t *testing.T, secret string, respond func(int, http.ResponseWriter) bool) *server {
	s := &server{secret: secret, respond: respond}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		n := len(s.reqs)
		s.reqs = append(s.reqs, r)
		s.times = append(s.times, time.Now())
		if s.respond != nil && s.respond(n, w) {
			return
		}
		wire, _ := io.ReadAll(r.Body)
		body := wire
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(wire))
			if err != nil {
				s.errs = append(s.errs, err.Error())
				w.WriteHeader(400)
				return
			}
			body, _ = io.ReadAll(zr)
		}
		if s.secret != "" {
			signed := body
			if s.signWire {
				signed = wire
			}
			m := hmac.New(sha256.New, []byte(s.secret))
			if ts := r.Header.Get("X-Tasker-Timestamp"); ts != "" {
				m.Write([]byte(ts + ".")) // the timestamped scheme
			}
			m.Write(signed)
			want := "sha256=" + hex.EncodeToString(m.Sum(nil))
			if !hmac.Equal([]byte(r.Header.Get("X-Tasker-Signature")), []byte(want)) {
				s.errs = append(s.errs, "bad signature "+r.Header.Get("X-Tasker-Signature"))
				w.WriteHeader(401)
				return
			}
		}
		s.bodies = append(s.bodies, body)
		w.WriteHeader(202)
	}))
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("test server on %s", s.URL)
	}
	t.Cleanup(s.Close)
	return s
}

func TestHTTPSignedBatches(t *testing.T) {
	for _, tc := range []struct {
		format         string
		gzip, signWire bool
	}{{"array", false, false}, {"ndjson", false, false}, {"array", true, false}, {"ndjson", true, true}} {
		t.Run(fmt.Sprint(tc), func(t *testing.T) {
			srv := newServer(t, "s3cr3t", nil)
			srv.signWire = tc.signWire
			args := []string{"--seed", "5", "--tasks", "25", "--fail", "0.3", "--http", srv.URL + "/v1/events",
				"--http-format", tc.format, "--batch", "40", "--secret", "s3cr3t",
				"--gzip=" + strconv.FormatBool(tc.gzip), "--sign-compressed=" + strconv.FormatBool(tc.signWire)}
			r := runArgs(t, args...)
			if r.code != 0 || len(srv.errs) > 0 {
				t.Fatalf("exit %d: %s %v", r.code, r.stderr, srv.errs)
			}
			s := parseSummary(t, r.stdout) // events go elsewhere: summary on stdout
			var all []event
			for i, b := range srv.bodies {
				var evs []event
				if tc.format == "array" {
					if b[0] != '[' {
						t.Fatalf("body %d is not an array", i)
					}
					dec := json.NewDecoder(bytes.NewReader(b))
					dec.UseNumber()
					if err := dec.Decode(&evs); err != nil {
						t.Fatal(err)
					}
				} else {
					if bytes.Count(b, []byte{'\n'}) != bytes.Count(b, []byte(`{"event":`)) {
						t.Fatalf("body %d is not NDJSON", i)
					}
					evs = decodeEvents(t, string(b))
				}
				if len(evs) > 40 || (i < len(srv.bodies)-1 && len(evs) != 40) {
					t.Fatalf("batch %d has %d events", i, len(evs))
				}
				all = append(all, evs...)
			}
			checkCounts(t, all, s)
			wantType := map[string]string{"array": "application/json", "ndjson": "application/x-ndjson"}[tc.format]
			for _, req := range srv.reqs {
				if req.Method != "POST" || req.URL.Path != "/v1/events" || req.Header.Get("Content-Type") != wantType {
					t.Fatalf("request %s %s %s", req.Method, req.URL, req.Header.Get("Content-Type"))
				}
			}
			if s.HTTPRequests != len(srv.reqs) || s.HTTPBatches != len(srv.bodies) || s.HTTPRetries != 0 ||
				s.HTTPEvents != s.EventsTotal || s.HTTPBatches != (s.EventsTotal+39)/40 {
				t.Fatalf("summary %+v, server %d requests", s, len(srv.reqs))
			}
			// Same seed: the same bodies.
			srv2 := newServer(t, "s3cr3t", nil)
			srv2.signWire = tc.signWire
			args[7] = srv2.URL + "/v1/events"
			runArgs(t, args...)
			if fmt.Sprint(srv2.bodies) != fmt.Sprint(srv.bodies) {
				t.Fatal("bodies differ between identical runs")
			}
		})
	}
}

func TestHTTPNoSecretNoHeader(t *testing.T) {
	t.Setenv("TASKER_WEBHOOK_SECRET", "")
	srv := newServer(t, "", nil)
	r := runArgs(t, "--tasks", "2", "--http", srv.URL, "-H", "Authorization: Bearer tok")
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	for _, req := range srv.reqs {
		if req.Header.Get("X-Tasker-Signature") != "" || req.Header.Get("Authorization") != "Bearer tok" {
			t.Fatalf("headers %v", req.Header)
		}
	}
}

func TestHTTPRetryAfter(t *testing.T) {
	srv := newServer(t, "k", func(n int, w http.ResponseWriter) bool {
		switch n {
		case 0:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(503)
			return true
		case 1:
			w.WriteHeader(429) // no Retry-After: --http-retry-initial
			return true
		}
		return false
	})
	r := runArgs(t, "--tasks", "4", "--http", srv.URL, "--secret", "k", "--batch", "1000", "--http-retry-initial", "10ms",
		"--http-format", "array")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	s := parseSummary(t, r.stdout)
	if len(srv.reqs) != 3 || len(srv.bodies) != 1 || s.HTTPRequests != 3 || s.HTTPRetries != 2 || s.HTTPBatches != 1 || s.HTTPEvents != s.EventsTotal {
		t.Fatalf("server %d requests, %d accepted; summary %+v", len(srv.reqs), len(srv.bodies), s)
	}
	if d := srv.times[1].Sub(srv.times[0]); d < 950*time.Millisecond || d > 5*time.Second {
		t.Fatalf("Retry-After: 1 honored as %v", d)
	}
	if d := srv.times[2].Sub(srv.times[1]); d < 10*time.Millisecond || d > 2*time.Second {
		t.Fatalf("backoff %v", d)
	}
	checkCounts(t, decodeEventsArray(t, srv.bodies[0]), s)
}

func decodeEventsArray(t *testing.T, b []byte) []event {
	var evs []event
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&evs); err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestHTTPGivesUp(t *testing.T) {
	srv := newServer(t, "", func(n int, w http.ResponseWriter) bool {
		w.WriteHeader(503)
		return true
	})
	r := runArgs(t, "--tasks", "2", "--http", srv.URL, "--http-retries", "2", "--http-retry-initial", "1ms")
	if r.code != exitFailed || len(srv.reqs) != 3 || !strings.Contains(r.stderr, "503 Service Unavailable after 3 attempts") {
		t.Fatalf("exit %d, %d requests: %s", r.code, len(srv.reqs), r.stderr)
	}
	s := parseSummary(t, r.stdout) // the summary is still written
	if s.HTTPRequests != 3 || s.HTTPRetries != 2 || s.HTTPBatches != 0 {
		t.Fatalf("summary %+v", s)
	}
}

func TestHTTPFailsWithBody(t *testing.T) {
	srv := newServer(t, "", func(n int, w http.ResponseWriter) bool {
		w.WriteHeader(400)
		io.WriteString(w, `{"error":"item 3: task_id: must be an integer"}`)
		return true
	})
	r := runArgs(t, "--tasks", "2", "--http", srv.URL)
	if r.code != exitFailed || len(srv.reqs) != 1 || !strings.Contains(r.stderr, `400 Bad Request: {"error":"item 3: task_id: must be an integer"}`) {
		t.Fatalf("exit %d, %d requests: %s", r.code, len(srv.reqs), r.stderr)
	}
}

func TestHTTPNoRedirect(t *testing.T) {
	other := newServer(t, "", nil)
	srv := newServer(t, "", func(n int, w http.ResponseWriter) bool {
		w.Header().Set("Location", other.URL)
		w.WriteHeader(307)
		return true
	})
	r := runArgs(t, "--tasks", "1", "--http", srv.URL)
	if r.code != exitFailed || len(other.reqs) != 0 {
		t.Fatalf("exit %d, redirect target got %d requests", r.code, len(other.reqs))
	}
}

func TestRetryAfterParse(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"3": 3 * time.Second, " 0 ": 0, "Sun, 22 Nov 2026 10:00:07 GMT": 7 * time.Second,
		"Sun, 22 Nov 2026 09:00:00 GMT": 0,
	} {
		if got, ok := retryAfter(v, now); !ok || got != want {
			t.Errorf("retryAfter(%q) = %v %v, want %v", v, got, ok, want)
		}
	}
	for _, v := range []string{"", "-1", "soon"} {
		if _, ok := retryAfter(v, now); ok {
			t.Errorf("retryAfter(%q) accepted", v)
		}
	}
}
