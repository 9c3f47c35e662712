// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Bounded work per request. A request is read in chunks; before a chunk is kept, the
// bytes already held by all requests in flight are checked against max_in_flight_bytes
// (admission: 503 + Retry-After), and the items the chunk starts are counted against
// max_events (413). Both are decided while the body streams in, before anything is
// parsed or built, so neither a large body nor a small body that expands into millions
// of tiny events (a decompression bomb) makes the receiver allocate in proportion.
// confighttp bounds the decompressed size itself (max_request_body_size, applied while
// decompressing).

// readChunk is the size of one read of the body.
const readChunk = 64 << 10

// maxZstdWindow bounds the window a zstd body may declare (the decoder allocates it):
// 8 MiB is the most a decoder is required to support and what zstd uses up to level 19.
const maxZstdWindow = 8 << 20

// httpError is a refusal with its status; retry adds Retry-After.
type httpError struct {
	code  int
	msg   string
	retry bool
}

func (e *httpError) Error() string { return e.msg }

// httpLimits is the state the requests of one HTTP input share.
type httpLimits struct {
	maxBody int64
	budget  *budget
	sig     *signatureCheck // nil without a secret
}

func newHTTPLimits(h *HTTPConfig) *httpLimits {
	l := &httpLimits{maxBody: h.ServerConfig.MaxRequestBodySize, budget: &budget{limit: h.MaxInFlightBytes}}
	if l.maxBody <= 0 {
		l.maxBody = DefaultMaxRequestBodySize // confighttp's default for 0
	}
	if h.Secret != "" {
		l.sig = &signatureCheck{secret: []byte(h.Secret), require: h.RequireTimestamp, tolerance: h.TimestampTolerance, now: time.Now}
	}
	return l
}

// budget is the bytes of request bodies held in flight, across requests.
type budget struct {
	limit int64
	used  atomic.Int64
}

// take reserves n bytes, or reports that they would exceed the limit.
func (b *budget) take(n int64) bool {
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		return false
	}
	return true
}

func (b *budget) release(n int64) { b.used.Add(-n) }

// bodyReader reads one request body under the limits.
type bodyReader struct {
	maxEvents   int
	maxBody     int64 // max_request_body_size, as confighttp applies it
	readTimeout time.Duration
	budget      *budget
	held        int64 // bytes of budget this request holds
	items       itemCounter
	bound       int  // the bytes read that can start an item (itemBound): 1 + bound >= items.n
	exact       bool // items has counted the body read so far
}

// read fills bb with the body of req. It returns an *httpError for every refusal.
// The caller releases b.held from the budget when it is done with the body.
func (b *bodyReader) read(w http.ResponseWriter, req *http.Request, bb *bytes.Buffer) *httpError {
	if req.ContentLength > b.maxBody {
		return tooLarge(b.maxBody) // a retry would not help: not 503
	}
	if req.ContentLength > 0 && !b.reserve(req.ContentLength) {
		return b.overloaded()
	}
	for {
		bb.Grow(readChunk)
		buf := bb.AvailableBuffer()[:readChunk]
		n, err := req.Body.Read(buf)
		if n > 0 {
			if int64(bb.Len()+n) > b.held && !b.reserve(int64(bb.Len()+n)-b.held) {
				return b.overloaded()
			}
			if b.tooMany(bb.Bytes(), buf[:n]) {
				return tooManyEvents(b.maxEvents)
			}
			bb.Write(buf[:n])
		}
		if errors.Is(err, io.EOF) {
			// The body is read: lift the read deadline, so that the server's
			// background read does not cancel the request while it is processed.
			_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
			return nil
		}
		if err != nil {
			return b.readError(err)
		}
	}
}

// tooMany reports whether the body read so far, prev then p, has more than maxEvents
// items. While a bound of the items (itemBound, a few vectorised byte counts) is within
// maxEvents, the exact count cannot exceed it and is not taken; once the bound exceeds
// maxEvents, itemCounter counts the body from its start, so each chunk gets the
// verdict the exact count gives it. BenchmarkItemCounter: see bench_test.go.
func (b *bodyReader) tooMany(prev, p []byte) bool {
	if !b.exact {
		b.bound += itemBound(p)
		if b.bound+1 <= b.maxEvents {
			return false
		}
		b.exact = true
		b.items.feed(prev)
	}
	return b.items.feed(p) > b.maxEvents
}

// itemBound counts the bytes of p that can start an item of itemCounter: a '{' (an
// object of a stream), a ',' (an array's element after the first) and a '\n' (ending
// the line of any other stream item). Over a body, 1 + the sum is at least the count:
// the one more is an array's first element, or a stream item whose line is not ended.
func itemBound(p []byte) int {
	return bytes.Count(p, []byte{'{'}) + bytes.Count(p, []byte{','}) + bytes.Count(p, []byte{'\n'})
}

func (b *bodyReader) reserve(n int64) bool {
	if !b.budget.take(n) {
		return false
	}
	b.held += n
	return true
}

func (b *bodyReader) overloaded() *httpError {
	return &httpError{code: http.StatusServiceUnavailable, retry: true, msg: fmt.Sprintf(
		"the receiver holds max_in_flight_bytes (%d) of requests in flight; retry later", b.budget.limit)}
}

func (b *bodyReader) readError(err error) *httpError {
	var tooBig *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &tooBig):
		return tooLarge(tooBig.Limit)
	case errors.As(err, &ne) && ne.Timeout():
		return &httpError{code: http.StatusRequestTimeout, msg: "the body was not received within read_timeout (" + b.readTimeout.String() + ")"}
	}
	return &httpError{code: http.StatusBadRequest, msg: "reading body: " + err.Error()}
}

func tooLarge(limit int64) *httpError {
	return &httpError{code: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf(
		"body larger than max_request_body_size (%d bytes, after decompression)", limit)}
}

func tooManyEvents(maxEvents int) *httpError {
	return &httpError{code: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf(
		"more than max_events (%d) events in one request; send smaller batches", maxEvents)}
}

// writeHTTPError answers a refusal.
func writeHTTPError(w http.ResponseWriter, he *httpError) {
	if he.retry {
		w.Header().Set("Retry-After", retryAfterSeconds)
	}
	if he.code == http.StatusRequestEntityTooLarge || he.code == http.StatusRequestTimeout {
		w.Header().Set("Connection", "close") // the rest of the body is not read
	}
	writeJSON(w, he.code, errorResponse{Error: he.msg})
}

// itemCounter counts, as the body streams, the items the parser will deliver: the
// elements of a top-level JSON array, or the values of an NDJSON stream (a line that
// does not start an object counts once, as the parser rejects it as one item). It
// tracks strings and nesting only, and is exact for well-formed bodies. The parser holds
// the items of an array only while the array is well-formed so far, where this count is
// exact; on a malformed NDJSON stream it may count low, and the handler's count of the
// parser's deliveries (which are not kept beyond max_events) is the exact bound.
type itemCounter struct {
	mode     byte // 0 not yet known, '[' array, '{' stream, '-' neither (no items)
	depth    int
	inString bool
	escape   bool
	skipLine bool // stream: rest of a line the parser skips
	started  bool // array: an element began
	n        int
}

func (c *itemCounter) feed(p []byte) int {
	for i := 0; i < len(p); i++ {
		if c.inString {
			if c.escape {
				c.escape = false
				continue
			}
			// The bytes of a string before its closing quote or a backslash change
			// nothing: skipped 8 at a time (quoteOrBackslash), then byte by byte.
			// BenchmarkItemCounter: the byte loop was 1.7× the per-byte switch; the
			// word loop with the stream case below took it from 19.9 to 13.6 µs.
			for i+8 <= len(p) {
				if m := quoteOrBackslash(binary.LittleEndian.Uint64(p[i:])); m != 0 {
					i += bits.TrailingZeros64(m) >> 3
					break
				}
				i += 8
			}
			for i < len(p) && p[i] != '"' && p[i] != '\\' {
				i++
			}
			switch {
			case i == len(p):
			case p[i] == '\\':
				c.escape = true
			default:
				c.inString = false
			}
			continue
		}
		ch := p[i]
		if c.mode == '{' && c.depth > 0 && !c.skipLine {
			// Inside an object of a stream, what stream does, without its call and
			// tests: most bytes outside strings are here (nest is inlined).
			c.nest(ch)
			continue
		}
		switch c.mode {
		case 0:
			switch ch {
			case ' ', '\t', '\r', '\n', 0xEF, 0xBB, 0xBF: // whitespace, a BOM
			case '[':
				c.mode, c.depth = '[', 1
			case '{':
				c.mode = '{'
				c.stream(ch)
			default:
				c.mode = '-'
			}
		case '[':
			c.array(ch)
		case '{':
			c.stream(ch)
		}
	}
	return c.n
}

func (c *itemCounter) array(ch byte) {
	if c.depth == 0 || isSpace(ch) {
		return // after the closing bracket the parser refuses the body
	}
	if c.depth == 1 && !c.started && ch != ']' {
		c.started, c.n = true, 1
	}
	c.nest(ch)
	if c.depth == 1 && ch == ',' {
		c.n++
	}
}

func (c *itemCounter) stream(ch byte) {
	switch {
	case c.skipLine:
		c.skipLine = ch != '\n'
	case c.depth > 0:
		c.nest(ch)
	case isSpace(ch):
	case ch == '{':
		c.n++
		c.depth = 1
	default:
		c.n++
		c.skipLine = true
	}
}

func (c *itemCounter) nest(ch byte) {
	switch ch {
	case '"':
		c.inString = true
	case '{', '[':
		c.depth++
	case '}', ']':
		c.depth--
	}
}

// quoteOrBackslash flags (0x80) the bytes of x, little-endian, that are a quote or a
// backslash; the lowest flag is always a real one (borrows run upwards only), which is
// all feed needs.
func quoteOrBackslash(x uint64) uint64 {
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	q := x ^ (lsb * '"')
	b := x ^ (lsb * '\\')
	return ((q-lsb)&^q | (b-lsb)&^b) & msb
}

func isSpace(ch byte) bool { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' }

// zstdDecoder replaces confighttp's zstd decoder with one whose window is bounded, so
// that a small body cannot make it allocate a huge history buffer.
func zstdDecoder(body io.ReadCloser) (io.ReadCloser, error) {
	d, err := zstd.NewReader(body, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxWindow(maxZstdWindow))
	if err != nil {
		return nil, err
	}
	return &zstdBody{d: d, body: body}, nil
}

type zstdBody struct {
	d    *zstd.Decoder
	body io.ReadCloser
}

func (z *zstdBody) Read(p []byte) (int, error) { return z.d.Read(p) }

func (z *zstdBody) Close() error {
	z.d.Close()
	return z.body.Close()
}
