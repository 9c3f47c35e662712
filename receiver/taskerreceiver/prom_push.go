// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/golang/snappy"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer/consumererror"
)

const inputPush = "push"

// pushResponse is the push input's answer: samples kept, lines rejected (and why).
type pushResponse struct {
	Accepted int         `json:"accepted"`
	Rejected int         `json:"rejected"`
	Errors   []lineError `json:"errors"`
}

// lenientSnappy replaces confighttp's snappy decoder on the receiver's server: Tasker's
// MetricsExportService sends `Content-Encoding: snappy` (its compression setting) over
// an uncompressed body, so a body that is not snappy (block or framed) is passed on as
// it came instead of failing the request.
func lenientSnappy(maxBytes int64) confighttp.ToServerOption {
	return confighttp.WithDecoder("snappy", func(body io.ReadCloser) (io.ReadCloser, error) {
		raw, err := io.ReadAll(io.LimitReader(body, maxBytes+1))
		_ = body.Close()
		if err != nil {
			return nil, err
		}
		if maxBytes > 0 && int64(len(raw)) > maxBytes {
			return nil, fmt.Errorf("body larger than max_request_body_size (%d bytes)", maxBytes)
		}
		if bytes.HasPrefix(raw, []byte("\xff\x06\x00\x00sNaPpY")) {
			if dec, err := io.ReadAll(io.LimitReader(snappy.NewReader(bytes.NewReader(raw)), maxBytes+1)); err == nil {
				return io.NopCloser(bytes.NewReader(dec)), nil
			}
		} else if n, err := snappy.DecodedLen(raw); err == nil && (maxBytes <= 0 || int64(n) <= maxBytes) {
			if dec, err := snappy.Decode(nil, raw); err == nil {
				return io.NopCloser(bytes.NewReader(dec)), nil
			}
		}
		return io.NopCloser(bytes.NewReader(raw)), nil
	})
}

// registerPush adds the push input to the HTTP server's mux.
func (r *taskerReceiver) registerPush(mux *http.ServeMux) {
	if h := r.cfg.HTTP.Get(); h.Push.HasValue() {
		mux.HandleFunc(h.Push.Get().Path, r.handlePush)
	}
}

func (r *taskerReceiver) handlePush(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, errorResponse{Error: "method " + req.Method + " not allowed; use POST"})
		return
	}
	p := r.cfg.HTTP.Get().Push.Get()
	if p.Username != "" {
		u, pw, ok := req.BasicAuth()
		userOK := subtle.ConstantTimeCompare([]byte(u), []byte(p.Username))
		passOK := subtle.ConstantTimeCompare([]byte(pw), []byte(p.Password))
		if !ok || userOK&passOK != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="tasker push"`)
			writeJSON(w, http.StatusUnauthorized, errorResponse{Error: "missing or invalid Basic auth"})
			return
		}
	}
	if r.nextMetrics == nil {
		writeJSON(w, http.StatusNotImplemented, errorResponse{Error: "the tasker receiver is in no metrics pipeline"})
		return
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		code, msg := http.StatusBadRequest, "reading body: "+err.Error()
		if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
			code, msg = http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than max_request_body_size (%d bytes)", tooBig.Limit)
		}
		writeJSON(w, code, errorResponse{Error: msg})
		return
	}
	pt, lineErrs := parsePushBody(body)
	resp := pushResponse{Accepted: len(pt.samples), Rejected: len(lineErrs), Errors: lineErrs}
	if resp.Errors == nil {
		resp.Errors = []lineError{}
	}
	ctx := req.Context()
	r.record(ctx, inputPush, stats{accepted: int64(resp.Accepted)}, int64(resp.Rejected))
	if resp.Accepted == 0 {
		code := http.StatusOK // an empty export is not an error
		if resp.Rejected > 0 {
			code = http.StatusBadRequest
		}
		writeJSON(w, code, resp)
		return
	}
	instance, _, _ := net.SplitHostPort(req.RemoteAddr)
	md, sm := r.newPromMetrics(instance)
	n := promToMetrics(sm, promFamilies(pt), instance, time.Now(), &r.promStarts)
	octx := r.obsHTTP.StartMetricsOp(ctx)
	err = r.nextMetrics.ConsumeMetrics(octx, md)
	r.obsHTTP.EndMetricsOp(octx, "tasker_push", n, err)
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, resp)
	case consumererror.IsPermanent(err): // as the events path answers
		writeJSON(w, http.StatusBadRequest, errorResponse{Error: "the pipeline rejected the data: " + err.Error()})
	default:
		w.Header().Set("Retry-After", retryAfterSeconds)
		writeJSON(w, http.StatusServiceUnavailable, errorResponse{Error: "the pipeline refused the data, retry later: " + err.Error()})
	}
}

// parsePushBody reads a real remote-write WriteRequest (protobuf, already
// snappy-decoded), or else Tasker's text lines.
func parsePushBody(body []byte) (promText, []lineError) {
	if len(body) > 0 && body[0] == 0x0a { // field 1, length-delimited: a WriteRequest
		if pt, err := parseRemoteWrite(body); err == nil && len(pt.samples) > 0 {
			return pt, nil
		}
	}
	return parsePromText(string(body))
}
