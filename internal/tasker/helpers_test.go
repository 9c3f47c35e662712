// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package tasker

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Realistic inputs, after tasker-reference §1.8 and §7.
const (
	// A step.completed event as a host-app subscriber posts it (EventPayloadBuilder).
	stepCompletedJSON = `{"event":"step.completed","timestamp":"2026-11-22T10:00:01Z","task_id":1042,"step_id":50213,"step_name":"charge_payment","started_at":"2026-11-22T10:00:00Z","completed_at":"2026-11-22T10:00:01Z","attempt_number":1,"retry_limit":3,"event_type":"completed","execution_duration":0.842,"step_results":{"charge_id":"ch_3Nk","amount_cents":129900,"captured":true}}`

	// The same as StructuredLogging writes it (log_format json) behind the Rails prefix.
	stepLogJSON = `I, [2026-11-22T10:00:01.003512 #48211]  INFO -- : {"timestamp":"2026-11-22T10:00:01.003Z","correlation_id":"tsk_m3x9k2p1_a8F3kQ","component":"step_executor","message":"Step completed","environment":"production","tasker_version":"0.1.0","process_id":48211,"thread_id":"1a2b3c","entity_type":"step","entity_id":50213,"entity_name":"charge_payment","event_type":"completed","step_status":"complete","task_id":1042,"task_name":"order_fulfillment","duration_ms":842.31,"performance_category":"moderate"}`

	// log_format logfmt.
	stepLogfmt = `timestamp="2026-11-22T10:00:01.003Z" correlation_id="tsk_m3x9k2p1_a8F3kQ" component="step_executor" message="Step completed" environment="production" tasker_version="0.1.0" process_id=48211 thread_id="1a2b3c" entity_type="step" entity_id=50213 entity_name="charge_payment" event_type=completed step_status="complete" task_id=1042 task_name="order_fulfillment" duration_ms=842.31 performance_category="moderate"`
)

// encodeEvent writes ev as an event payload that parses back to ev: the Event fields
// under their primary keys at the top level, the payload in a nested `payload` object
// (so that a payload field named "payload" is not unwrapped again).
func encodeEvent(ev *Event, withName bool) []byte {
	b := []byte{'{'}
	first := true
	key := func(k string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = strconv.AppendQuote(b, k)
		b = append(b, ':')
	}
	str := func(k, v string) {
		if v != "" {
			key(k)
			b = appendJSONString(b, v)
		}
	}
	tm := func(k string, t time.Time) {
		if !t.IsZero() {
			key(k)
			b = append(b, '"')
			b = t.AppendFormat(b, time.RFC3339Nano)
			b = append(b, '"')
		}
	}
	if withName {
		str("event", ev.Name)
	}
	tm("timestamp", ev.Time)
	str("event_type", ev.EventType)
	str("entity_type", ev.EntityType)
	str("task_id", ev.TaskID)
	str("task_name", ev.TaskName)
	str("step_id", ev.StepID)
	str("step_name", ev.StepName)
	str("namespace", ev.Namespace)
	str("task_version", ev.Version)
	if ev.HasAttempt {
		key("attempt_number")
		b = strconv.AppendInt(b, ev.Attempt, 10)
	}
	if ev.HasRetryLimit {
		key("retry_limit")
		b = strconv.AppendInt(b, ev.RetryLimit, 10)
	}
	if ev.HasExecutionDuration {
		key("execution_duration")
		b = appendSeconds(b, ev.ExecutionDuration)
	}
	if ev.HasTotalDuration {
		key("total_execution_duration")
		b = appendSeconds(b, ev.TotalDuration)
	}
	str("from_state", ev.FromState)
	str("to_state", ev.ToState)
	str("error_class", ev.ErrorClass)
	str("error_message", ev.ErrorMessage)
	if ev.Backtrace != nil {
		key("backtrace")
		b = append(b, '[')
		for i, l := range ev.Backtrace {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, l)
		}
		b = append(b, ']')
	}
	str("correlation_id", ev.CorrelationID)
	str("hostname", ev.Host)
	if ev.PID != 0 {
		key("process_id")
		b = strconv.AppendInt(b, ev.PID, 10)
	}
	tm("started_at", ev.StartedAt)
	tm("completed_at", ev.CompletedAt)
	str("message", ev.Message)
	str("level", ev.LogSeverity.String())
	if len(ev.Payload) > 0 {
		key("payload")
		b = append(b, '{')
		for i, f := range ev.Payload {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, f.Key)
			b = append(b, ':')
			b = appendValue(b, f.Value)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

func appendJSONString(b []byte, s string) []byte {
	q, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return append(b, q...)
}

func appendValue(b []byte, v Value) []byte {
	switch v.Kind() {
	case KindString:
		return appendJSONString(b, v.Str())
	case KindNull:
		return append(b, "null"...)
	}
	return append(b, v.Text()...) // number literals, true/false, raw JSON
}

// appendSeconds writes d as exact decimal seconds.
func appendSeconds(b []byte, d time.Duration) []byte {
	if d < 0 {
		b = append(b, '-')
		d = -d
	}
	b = strconv.AppendInt(b, int64(d/time.Second), 10)
	if ns := int64(d % time.Second); ns != 0 {
		frac := strconv.FormatInt(ns+1e9, 10)[1:]
		b = append(b, '.')
		b = append(b, strings.TrimRight(frac, "0")...)
	}
	return b
}

// saneEvent checks the invariants every parsed event keeps; it returns a description
// of the first broken one, or "".
func saneEvent(ev *Event) string {
	strs := []string{ev.Name, ev.EventType, ev.EntityType, ev.TaskID, ev.TaskName, ev.StepID, ev.StepName,
		ev.Namespace, ev.Version, ev.FromState, ev.ToState, ev.ErrorClass, ev.ErrorMessage,
		ev.CorrelationID, ev.Host, ev.Message}
	strs = append(strs, ev.Backtrace...)
	for _, f := range ev.Payload {
		strs = append(strs, f.Key, f.Value.Text())
		if f.Value.Kind() == KindRaw && !json.Valid([]byte(f.Value.Raw())) {
			return "raw payload value is not valid JSON: " + f.Value.Raw()
		}
		if (f.Value.Kind() == KindInt || f.Value.Kind() == KindFloat) && !json.Valid([]byte(f.Value.Text())) {
			return "number literal is not valid JSON: " + f.Value.Text()
		}
	}
	for _, s := range strs {
		if !utf8.ValidString(s) {
			return "invalid UTF-8: " + strconv.Quote(s)
		}
	}
	for _, t := range []time.Time{ev.Time, ev.StartedAt, ev.CompletedAt} {
		if !t.IsZero() && (t.Location() != time.UTC || t.Year() < 0 || t.Year() > 9999) {
			return "time not UTC or out of 0000-9999: " + t.String()
		}
	}
	if ev.Attempt < 0 || ev.RetryLimit < 0 || ev.PID < 0 {
		return "negative count"
	}
	if !ev.HasExecutionDuration && ev.ExecutionDuration != 0 || !ev.HasTotalDuration && ev.TotalDuration != 0 ||
		!ev.HasAttempt && ev.Attempt != 0 || !ev.HasRetryLimit && ev.RetryLimit != 0 {
		return "value without its Has flag"
	}
	return ""
}

// sameEvent compares two events, times with time.Equal; it returns "" or a description.
func sameEvent(a, b Event) string {
	for _, p := range [][2]*time.Time{{&a.Time, &b.Time}, {&a.StartedAt, &b.StartedAt}, {&a.CompletedAt, &b.CompletedAt}} {
		if !p[0].Equal(*p[1]) {
			return "times differ: " + p[0].String() + " vs " + p[1].String()
		}
		*p[0], *p[1] = time.Time{}, time.Time{}
	}
	if len(a.Payload) == 0 && len(b.Payload) == 0 {
		a.Payload, b.Payload = nil, nil
	}
	if !reflect.DeepEqual(a, b) {
		return fmt.Sprintf("events differ:\n%#v\n%#v", a, b)
	}
	return ""
}

// payloadText is the text of a payload field, "" if absent.
func payloadText(ev *Event, key string) string {
	for _, f := range ev.Payload {
		if f.Key == key {
			return f.Value.Text()
		}
	}
	return ""
}
