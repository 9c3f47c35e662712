// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
)

// SignatureHeader carries the HMAC-SHA256 of the body: "sha256=<hex>".
const SignatureHeader = "X-Tasker-Signature"

// retryAfterSeconds is sent with 503 when the pipeline refuses data.
const retryAfterSeconds = "5"

// itemError is one rejected item of a request.
type itemError struct {
	Index   int    `json:"index"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
}

// response is the body of 200 (and of 400 when every item was rejected).
type response struct {
	Accepted int `json:"accepted"`
	// Duplicates of the accepted: terminal events repeating a completion already seen
	// (kept as log records flagged tasker.duplicate, no span, no count).
	Duplicates int64       `json:"duplicates"`
	Rejected   int         `json:"rejected"`
	Errors     []itemError `json:"errors"`
}

// errorResponse is the body of the other errors.
type errorResponse struct {
	Error  string `json:"error"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	Offset *int   `json:"offset,omitempty"`
}

var parserPool = sync.Pool{New: func() any { return new(tasker.Parser) }}

func (r *taskerReceiver) startHTTP(ctx context.Context, host component.Host) error {
	h := r.cfg.HTTP.Get()
	ln, err := h.ServerConfig.ToListener(ctx)
	if err != nil {
		return fmt.Errorf("tasker: listen on %s: %w", h.ServerConfig.NetAddr.Endpoint, err)
	}
	mux := http.NewServeMux()
	lim := newHTTPLimits(h)
	mux.HandleFunc(h.Path, func(w http.ResponseWriter, req *http.Request) { r.handleEvents(w, req, lim) })
	if h.HealthPath != "" && h.HealthPath != "-" {
		mux.HandleFunc(h.HealthPath, handleHealth)
	}
	r.registerPush(mux) // prom_push.go
	srv, err := h.ServerConfig.ToServer(ctx, host.GetExtensions(), r.set.TelemetrySettings, mux,
		confighttp.WithErrorHandler(func(w http.ResponseWriter, _ *http.Request, msg string, code int) {
			writeJSON(w, code, errorResponse{Error: msg})
		}),
		confighttp.WithDecoder("zstd", zstdDecoder), lenientSnappy(h.ServerConfig.MaxRequestBodySize))
	if err != nil {
		_ = ln.Close()
		return err
	}
	r.server = srv
	r.addr = ln.Addr().String()
	r.set.Logger.Info("tasker: listening", zap.String("endpoint", ln.Addr().String()), zap.String("path", h.Path))
	r.serverWG.Add(1)
	go func() {
		defer r.serverWG.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(err))
		}
	}()
	return nil
}

func (r *taskerReceiver) stopHTTP(ctx context.Context) error {
	if r.server == nil {
		return nil
	}
	err := r.server.Shutdown(ctx)
	r.serverWG.Wait()
	return err
}

func handleHealth(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeJSON(w, http.StatusMethodNotAllowed, errorResponse{Error: "method " + req.Method + " not allowed; use GET"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// acceptedContentType reports whether a body of this Content-Type is read: JSON,
// NDJSON / JSON lines, text/plain, or none given.
func acceptedContentType(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch mt {
	case "application/json", "application/x-ndjson", "application/ndjson", "application/jsonl",
		"application/x-jsonlines", "application/jsonlines", "text/plain":
		return true
	}
	return strings.HasSuffix(mt, "+json")
}

func (r *taskerReceiver) handleEvents(w http.ResponseWriter, req *http.Request, lim *httpLimits) {
	h := r.cfg.HTTP.Get()
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, errorResponse{Error: "method " + req.Method + " not allowed; use POST"})
		return
	}
	if ct := req.Header.Get("Content-Type"); !acceptedContentType(ct) {
		writeJSON(w, http.StatusUnsupportedMediaType, errorResponse{Error: fmt.Sprintf("content type %q is not supported; send application/json or application/x-ndjson", ct)})
		return
	}
	bb := getBody(req.ContentLength, h.ServerConfig.MaxRequestBodySize)
	defer putBody(bb)
	br := bodyReader{maxEvents: h.MaxEvents, maxBody: lim.maxBody, readTimeout: h.ServerConfig.ReadTimeout, budget: lim.budget}
	defer func() { lim.budget.release(br.held) }()
	if err := br.read(w, req, bb); err != nil {
		if !err.retry {
			r.record(req.Context(), inputHTTP, stats{}, 1)
		}
		writeHTTPError(w, err)
		return
	}
	body := bb.Bytes()
	if lim.sig != nil {
		if err := lim.sig.verify(req.Header, body); err != nil {
			writeHTTPError(w, err)
			return
		}
	}

	resp := response{Errors: []itemError{}}
	ep := eventsPool.Get().(*[]tasker.Event)
	events := (*ep)[:0]
	defer func() {
		clear(events) // drop the references to this body
		if cap(events) <= maxPooledEvents {
			*ep = events[:0]
			eventsPool.Put(ep)
		}
	}()
	p := parserPool.Get().(*tasker.Parser)
	// ParseBatch copies the body once into the events' strings: bb can go back to the pool.
	tooMany := false
	perr := p.ParseBatch(body, func(i int, ev tasker.Event, err error) {
		if i >= h.MaxEvents { // exact, where the body scan may count a malformed NDJSON stream low
			tooMany = true
			return
		}
		if err != nil {
			ie := itemError{Index: i, Message: err.Error()}
			var pe *tasker.ParseError
			if errors.As(err, &pe) {
				ie.Field, ie.Message, ie.Line, ie.Column = pe.Field, pe.Message, pe.Line, pe.Column
			}
			resp.Errors = append(resp.Errors, ie)
			return
		}
		events = append(events, ev)
	})
	parserPool.Put(p)
	ctx := req.Context()
	if perr != nil {
		er := errorResponse{Error: perr.Error()}
		var pe *tasker.ParseError
		if errors.As(perr, &pe) {
			er.Error, er.Line, er.Column = pe.Message, pe.Line, pe.Column
			if pe.Offset >= 0 {
				off := pe.Offset
				er.Offset = &off
			}
		}
		r.record(ctx, inputHTTP, stats{}, 1)
		writeJSON(w, http.StatusBadRequest, er)
		return
	}
	if tooMany {
		r.record(ctx, inputHTTP, stats{}, 1)
		writeHTTPError(w, tooManyEvents(h.MaxEvents))
		return
	}
	resp.Rejected = len(resp.Errors)

	out := r.buildEvents(events, req.Header.Get(EnvironmentHeader))
	r.record(ctx, inputHTTP, out.stats, int64(resp.Rejected))
	resp.Accepted, resp.Duplicates = len(events), out.stats.duplicates
	if err := r.consume(ctx, inputHTTP, out); err != nil {
		r.b.undo(out) // the sender retries (503) or gives up (400): build the spans again then
		if consumererror.IsPermanent(err) {
			writeJSON(w, http.StatusBadRequest, errorResponse{Error: "the pipeline rejected the data: " + err.Error()})
			return
		}
		w.Header().Set("Retry-After", retryAfterSeconds)
		writeJSON(w, http.StatusServiceUnavailable, errorResponse{Error: "the pipeline refused the data, retry later: " + err.Error()})
		return
	}
	code := http.StatusOK
	if resp.Accepted == 0 && resp.Rejected > 0 {
		code = http.StatusBadRequest
	}
	if len(resp.Errors) == 0 {
		writeAccepted(w, resp.Accepted, resp.Duplicates)
		return
	}
	writeJSON(w, code, resp)
}

// writeAccepted writes 200 and the response of a request without rejected items, as
// writeJSON would encode it, without reflection.
func writeAccepted(w http.ResponseWriter, accepted int, duplicates int64) {
	var buf [96]byte
	b := append(buf[:0], `{"accepted":`...)
	b = strconv.AppendInt(b, int64(accepted), 10)
	b = append(b, `,"duplicates":`...)
	b = strconv.AppendInt(b, duplicates, 10)
	b = append(b, `,"rejected":0,"errors":[]}`+"\n"...)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// Pools of request bodies and event slices; oversized ones are not kept.
const (
	maxPooledBody   = 4 << 20
	maxPooledEvents = 4096
)

var (
	bodyPool   = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	eventsPool = sync.Pool{New: func() any { s := make([]tasker.Event, 0, 128); return &s }}
)

// getBody is a pooled buffer, grown to the announced length when it is plausible.
func getBody(contentLength, limit int64) *bytes.Buffer {
	bb := bodyPool.Get().(*bytes.Buffer)
	bb.Reset()
	if contentLength > 0 && (limit <= 0 || contentLength <= limit) && contentLength <= maxPooledBody {
		bb.Grow(int(contentLength) + bytes.MinRead) // ReadFrom wants MinRead free to see EOF
	}
	return bb
}

func putBody(bb *bytes.Buffer) {
	if bb.Cap() <= maxPooledBody {
		bodyPool.Put(bb)
	}
}
