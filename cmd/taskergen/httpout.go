// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tasker-systems/otelcol-tasker/cmd/taskergen/internal/simulate"
	"github.com/tasker-systems/otelcol-tasker/internal/ctxsleep"
)

// SignatureHeader carries the HMAC-SHA256 of the request body; TimestampHeader the
// Unix time that the timestamped scheme signs with it ("<ts>.<body>").
const (
	SignatureHeader = "X-Tasker-Signature"
	TimestampHeader = "X-Tasker-Timestamp"
)

type httpConfig struct {
	url            string
	format         string // array or ndjson
	batch          int
	secret         string
	gzip           bool
	signCompressed bool // sign the gzip bytes instead of the JSON
	signTimestamp  bool // the timestamped scheme: X-Tasker-Timestamp, sign "<ts>.<body>"
	timeout        time.Duration
	maxRetries     int
	retryInitial   time.Duration
	retryMax       time.Duration // cap of a wait, including a Retry-After
	headers        http.Header
}

// httpOutput posts events in batches. It only ever connects to the configured URL: no
// proxy from the environment, no redirects followed.
type httpOutput struct {
	cfg    httpConfig
	client *http.Client
	sleep  func(ctx context.Context, d time.Duration) error
	now    func() time.Time

	body []byte
	n    int
	gz   bytes.Buffer
	zw   *gzip.Writer

	requests int // POSTs made, retries included
	retries  int // POSTs that were a retry
	batches  int // batches accepted (2xx)
	events   int // events in accepted batches
	bytes    int64
}

func validateURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%q: want an http:// or https:// URL", raw)
	}
	return nil
}

func newHTTPOutput(cfg httpConfig) *httpOutput {
	tr := &http.Transport{
		Proxy:               nil, // only ever the given URL
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}
	return &httpOutput{
		cfg: cfg,
		client: &http.Client{
			Transport:     tr,
			Timeout:       cfg.timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		sleep: ctxsleep.Sleep,
		now:   time.Now,
	}
}


// add appends ev to the current batch and sends the batch when it is full.
func (h *httpOutput) add(ctx context.Context, ev *simulate.Event) error {
	if h.n == 0 {
		h.body = h.body[:0]
		if h.cfg.format == "array" {
			h.body = append(h.body, '[')
		}
	} else if h.cfg.format == "array" {
		h.body = append(h.body, ',')
	}
	h.body = simulate.AppendObject(h.body, "event", ev.Name, ev.Fields)
	if h.cfg.format != "array" {
		h.body = append(h.body, '\n')
	}
	h.n++
	if h.n >= h.cfg.batch {
		return h.flush(ctx)
	}
	return nil
}

// sign returns the header value for body: "sha256=" + hex HMAC-SHA256 of body, or of
// ts + "." + body when ts is not empty.
func sign(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	if ts != "" {
		m.Write([]byte(ts + "."))
	}
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// flush sends the current batch, if any.
func (h *httpOutput) flush(ctx context.Context) error {
	if h.n == 0 {
		return nil
	}
	if h.cfg.format == "array" {
		h.body = append(h.body, ']')
	}
	wire := h.body
	if h.cfg.gzip {
		h.gz.Reset()
		if h.zw == nil {
			h.zw = gzip.NewWriter(&h.gz)
		} else {
			h.zw.Reset(&h.gz)
		}
		_, _ = h.zw.Write(h.body)
		if err := h.zw.Close(); err != nil {
			return err
		}
		wire = h.gz.Bytes()
	}
	signed := h.body
	if h.cfg.signCompressed {
		signed = wire
	}
	if err := h.post(ctx, wire, signed); err != nil {
		return err
	}
	h.batches++
	h.events += h.n
	h.bytes += int64(len(wire))
	h.n = 0
	return nil
}

// post sends wire, signed (with --secret) over the bytes signed; a timestamped
// signature is made afresh for every attempt.
func (h *httpOutput) post(ctx context.Context, wire, signed []byte) error {
	ctype := "application/json"
	if h.cfg.format != "array" {
		ctype = "application/x-ndjson"
	}
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			h.retries++
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.cfg.url, bytes.NewReader(wire))
		if err != nil {
			return err
		}
		for k, vs := range h.cfg.headers {
			for _, v := range vs {
				req.Header.Add(k, v)
			}
		}
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("User-Agent", "taskergen")
		if h.cfg.gzip {
			req.Header.Set("Content-Encoding", "gzip")
		}
		if h.cfg.secret != "" {
			ts := ""
			if h.cfg.signTimestamp {
				ts = strconv.FormatInt(h.now().Unix(), 10)
				req.Header.Set(TimestampHeader, ts)
			}
			req.Header.Set(SignatureHeader, sign(h.cfg.secret, ts, signed))
		}
		h.requests++
		resp, err := h.client.Do(req)
		var wait time.Duration
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if attempt >= h.cfg.maxRetries {
				return fmt.Errorf("POST %s: %w (gave up after %d attempts)", h.cfg.url, err, attempt+1)
			}
			wait = h.backoff(attempt)
		} else {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			_ = resp.Body.Close()
			switch {
			case resp.StatusCode >= 200 && resp.StatusCode < 300:
				return nil
			case resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests:
				if attempt >= h.cfg.maxRetries {
					return fmt.Errorf("POST %s: %s after %d attempts: %s", h.cfg.url, resp.Status, attempt+1, trimBody(body))
				}
				var ok bool
				if wait, ok = retryAfter(resp.Header.Get("Retry-After"), time.Now()); !ok {
					wait = h.backoff(attempt)
				}
			default:
				return fmt.Errorf("POST %s: %s: %s", h.cfg.url, resp.Status, trimBody(body))
			}
		}
		if h.cfg.retryMax > 0 && wait > h.cfg.retryMax {
			wait = h.cfg.retryMax
		}
		if err := h.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// backoff is the wait before retry attempt+1 when the server gave no Retry-After:
// retryInitial doubled per attempt, capped at retryMax.
func (h *httpOutput) backoff(attempt int) time.Duration {
	d := h.cfg.retryInitial
	for range attempt {
		d *= 2
		if h.cfg.retryMax > 0 && d >= h.cfg.retryMax {
			return h.cfg.retryMax
		}
	}
	return d
}

// retryAfter parses a Retry-After header: delay-seconds or an HTTP-date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(min(n, 86400)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

func trimBody(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 1024 {
		s = s[:1024] + "…"
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}
