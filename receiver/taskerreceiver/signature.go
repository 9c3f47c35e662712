// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Signatures. With a secret set, every POST carries
//
//	X-Tasker-Signature: sha256=<hex HMAC-SHA256(secret, signed)>
//
// where signed is the (decompressed) body, or, when the request carries
// X-Tasker-Timestamp: <unix seconds>, timestamp + "." + body, as Stripe's and Slack's
// webhooks do. With require_timestamp the timestamped form is the only one accepted,
// and the timestamp must lie within timestamp_tolerance of the receiver's clock: a
// captured request cannot be replayed after the window.

// TimestampHeader carries the Unix time (seconds) the request was signed at.
const TimestampHeader = "X-Tasker-Timestamp"

// signatureCheck verifies requests against one HTTPConfig.
type signatureCheck struct {
	secret    []byte
	require   bool
	tolerance time.Duration
	now       func() time.Time
}

// verify returns nil, or the reason (for a 401) a request is refused.
func (s *signatureCheck) verify(h http.Header, body []byte) *httpError {
	sig := h.Get(SignatureHeader)
	ts := strings.TrimSpace(h.Get(TimestampHeader))
	switch {
	case ts != "":
		secs, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			return unauthorized(TimestampHeader + " must be the Unix time in seconds, got " + strconv.Quote(ts))
		}
		if s.require {
			if skew := s.now().Sub(time.Unix(secs, 0)).Abs(); skew > s.tolerance {
				return unauthorized(TimestampHeader + " is " + skew.Round(time.Second).String() +
					" away from the receiver's clock, beyond timestamp_tolerance (" + s.tolerance.String() + "): refused as a possible replay")
			}
		}
		if !validSignature(s.secret, sig, []byte(ts), body) {
			return unauthorized("missing or invalid " + SignatureHeader + " (want sha256=<hex HMAC-SHA256 of the " + TimestampHeader + " value, \".\" and the body>)")
		}
	case s.require:
		return unauthorized("missing " + TimestampHeader + " (require_timestamp is set: sign timestamp + \".\" + body)")
	case !validSignature(s.secret, sig, nil, body):
		return unauthorized("missing or invalid " + SignatureHeader + " (want sha256=<hex HMAC-SHA256 of the body>)")
	}
	return nil
}

func unauthorized(msg string) *httpError { return &httpError{code: http.StatusUnauthorized, msg: msg} }

// validSignature checks "sha256=<hex>" against the HMAC-SHA256 of body, or of
// ts + "." + body when ts is set, in constant time.
func validSignature(secret []byte, header string, ts, body []byte) bool {
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	return hmac.Equal(got, hmacOf(secret, ts, body))
}

// hmacOf is the HMAC-SHA256 of body (ts nil) or of ts + "." + body.
func hmacOf(secret, ts, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	if ts != nil {
		_, _ = mac.Write(ts)
		_, _ = mac.Write([]byte{'.'})
	}
	_, _ = mac.Write(body)
	return mac.Sum(nil)
}
