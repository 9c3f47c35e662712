// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package tasker

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// The seed corpora are in testdata/fuzz/<FuzzName>/; these add the fixtures.

// checkError checks the shape of every error the parsers return.
func checkError(t *testing.T, in []byte, err error) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error is %T, not *ParseError: %v", err, err)
	}
	if pe.Message == "" || pe.Offset < -1 || pe.Offset > len(in) {
		t.Fatalf("bad error %#v for %q", pe, in)
	}
	if (pe.Offset >= 0) != (pe.Line > 0) || pe.Offset >= 0 && pe.Column < 1 {
		t.Fatalf("bad position %#v", pe)
	}
}

// roundTrip re-encodes a parsed event and checks that it parses back to itself.
func roundTrip(t *testing.T, ev Event, asLog bool) {
	t.Helper()
	if msg := saneEvent(&ev); msg != "" {
		t.Fatal(msg)
	}
	enc := encodeEvent(&ev, ev.Name != "")
	var again Event
	var err error
	if asLog {
		var ok bool
		again, ok, err = ParseLogLine(enc)
		if err == nil && !ok {
			t.Fatalf("re-encoded log line %s is not a Tasker log", enc)
		}
	} else {
		again, err = ParseEvent(enc)
	}
	if err != nil {
		t.Fatalf("re-encoded event %s does not parse: %v", enc, err)
	}
	if msg := sameEvent(ev, again); msg != "" {
		t.Fatalf("re-parse differs for %s: %s", enc, msg)
	}
}

func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(stepCompletedJSON))
	f.Add([]byte(`{"name":"order.shipped","payload":{"event_type":"custom","task_id":"A-1","payload":{"x":1}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		orig := bytes.Clone(data)
		ev, err := ParseEvent(data)
		if !bytes.Equal(orig, data) {
			t.Fatal("input modified")
		}
		var p Parser
		ev2, err2 := p.ParseEvent(data)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("Parser and ParseEvent disagree: %v / %v", err, err2)
		}
		if err != nil {
			checkError(t, data, err)
			if err.Error() != err2.Error() {
				t.Fatalf("errors differ: %v / %v", err, err2)
			}
			return
		}
		if ev.Name == "" {
			t.Fatal("event without a name")
		}
		if msg := sameEvent(ev, ev2); msg != "" {
			t.Fatal(msg)
		}
		roundTrip(t, ev, false)

		// A body of one object is a batch of one item.
		n := 0
		berr := ParseBatch(data, func(i int, bev Event, ierr error) {
			n++
			if i != 0 || ierr != nil {
				t.Fatalf("batch item %d: %v", i, ierr)
			}
			if msg := sameEvent(ev, bev); msg != "" {
				t.Fatal(msg)
			}
		})
		if berr != nil || n != 1 {
			t.Fatalf("batch of one: %d items, %v", n, berr)
		}
	})
}

func FuzzParseLogLine(f *testing.F) {
	f.Add([]byte(stepLogJSON))
	f.Add([]byte(stepLogfmt))
	f.Fuzz(func(t *testing.T, line []byte) {
		ev, ok, err := ParseLogLine(line)
		if err != nil {
			checkError(t, line, err)
			if ok {
				t.Fatal("ok with an error")
			}
		}
		if !ok {
			if ev.Name != "" || len(ev.Payload) != 0 {
				t.Fatalf("plain line with event fields: %#v", ev)
			}
			if utf8.Valid(line) && !strings.Contains(string(line), ev.Message) {
				t.Fatalf("plain message %q is not from the line %q", ev.Message, line)
			}
			if msg := saneEvent(&ev); msg != "" {
				t.Fatal(msg)
			}
			return
		}
		// The severity of the Rails prefix overrides a `level` field that then stays in
		// the payload; such an event does not re-encode to itself.
		for _, fl := range ev.Payload {
			if ev.LogSeverity != SeverityUnset && (fl.Key == "level" || fl.Key == "severity") {
				return
			}
		}
		roundTrip(t, ev, true)
	})
}

func FuzzParseBatch(f *testing.F) {
	f.Add([]byte(stepCompletedJSON + "\n" + stepCompletedJSON))
	f.Add([]byte(`[` + stepCompletedJSON + `,{"event":"a.b","task_id":true},3]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var good []Event
		calls := 0
		err := ParseBatch(body, func(i int, ev Event, ierr error) {
			if i != calls {
				t.Fatalf("index %d, want %d", i, calls)
			}
			calls++
			if ierr != nil {
				checkError(t, body, ierr)
				return
			}
			roundTrip(t, ev, false)
			good = append(good, ev)
		})
		if err != nil {
			checkError(t, body, err)
			if calls != 0 {
				t.Fatalf("%d items delivered before a body error", calls)
			}
			return
		}
		if len(good) == 0 {
			return
		}
		// The good items, re-encoded as NDJSON, are a batch of the same events.
		var nd []byte
		for i := range good {
			nd = append(append(nd, encodeEvent(&good[i], true)...), '\n')
		}
		k := 0
		if err := ParseBatch(nd, func(i int, ev Event, ierr error) {
			if ierr != nil {
				t.Fatalf("re-encoded item %d: %v", i, ierr)
			}
			if msg := sameEvent(good[k], ev); msg != "" {
				t.Fatal(msg)
			}
			k++
		}); err != nil || k != len(good) {
			t.Fatalf("re-encoded batch: %d of %d, %v", k, len(good), err)
		}
	})
}
