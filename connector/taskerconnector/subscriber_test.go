// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerconnector

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// subscriber builds spans exactly as Tasker's TelemetrySubscriber does
// (lib/tasker/events/subscribers/telemetry_subscriber.rb) for the events one process
// publishes, and exports them as the SDK's BatchSpanProcessor does: ended spans, in
// end order. One subscriber is one process (its map of open task spans is per process).
type subscriber struct {
	service string // telemetry.service_name: tracer name and attribute prefix
	clock   time.Time
	nextID  uint64
	// host is the span current on the publishing thread (an auto-instrumented
	// ActiveJob span), or empty: simple spans become its children, else roots.
	host      ptrace.Span
	hasHost   bool
	taskSpans map[string]ptrace.Span
	ended     []ptrace.Span
}

func newSubscriber(service string, start time.Time) *subscriber {
	return &subscriber{service: service, clock: start, taskSpans: map[string]ptrace.Span{}}
}

// kv is an ordered payload or attribute entry.
type kv struct {
	k string
	v any
}

func (s *subscriber) advance(d time.Duration) { s.clock = s.clock.Add(d) }

func (s *subscriber) id() uint64 { s.nextID++; return s.nextID }

func (s *subscriber) newSpan(name string) ptrace.Span {
	sp := ptrace.NewSpan()
	sp.SetName(name)
	sp.SetKind(ptrace.SpanKindInternal) // no kind: passed
	var sid pcommon.SpanID
	binary.BigEndian.PutUint64(sid[:], s.id()<<8|0x5a)
	sp.SetSpanID(sid)
	sp.SetStartTimestamp(pcommon.NewTimestampFromTime(s.clock))
	return sp
}

func (s *subscriber) newTrace() pcommon.TraceID {
	var tid pcommon.TraceID
	binary.BigEndian.PutUint64(tid[:8], 0x7a5c)
	binary.BigEndian.PutUint64(tid[8:], s.id())
	return tid
}

// startHost opens the host span (ActiveJob's) that is current while a job runs.
func (s *subscriber) startHost(name string) ptrace.Span {
	h := s.newSpan(name)
	h.SetKind(ptrace.SpanKindConsumer)
	h.SetTraceID(s.newTrace())
	s.host, s.hasHost = h, true
	return h
}

func (s *subscriber) endHost() {
	s.host.SetEndTimestamp(pcommon.NewTimestampFromTime(s.clock))
	s.ended = append(s.ended, s.host)
	s.hasHost = false
}

func get(p []kv, k string, def any) any {
	for _, e := range p {
		if e.k == k {
			return e.v
		}
	}
	return def
}

// rubyToS is Ruby's to_s of a payload value, as convert_value_for_otel applies it.
func rubyToS(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return rubyFloat(x)
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04:05 UTC")
	case map[string]any, []any, []string:
		b, _ := json.Marshal(x)
		return string(b)
	}
	panic("unsupported payload value")
}

// rubyFloat is Float#to_s: "0.0", "1.5", "-0.000312", "-8.1e-05", "1.0e+16".
func rubyFloat(f float64) string {
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	exp := math.Floor(math.Log10(math.Abs(f)))
	if exp < -4 || exp >= 16 {
		e := strconv.FormatFloat(f, 'e', -1, 64) // "8.1e-05"
		mant, pow, _ := strings.Cut(e, "e")
		if !strings.Contains(mant, ".") {
			mant += ".0"
		}
		return mant + "e" + pow
	}
	t := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(t, ".") {
		t += ".0"
	}
	return t
}

// otelAttrs is convert_attributes_for_otel: "<service>.<key>" → to_s of the value.
func (s *subscriber) otelAttrs(m pcommon.Map, attrs []kv) {
	for _, a := range attrs {
		m.PutStr(s.service+"."+a.k, rubyToS(a.v))
	}
}

// core is BaseSubscriber#extract_core_attributes: task_id, step_id (when present),
// event_timestamp (payload timestamp.to_s).
func core(p []kv) []kv {
	out := []kv{{"task_id", get(p, "task_id", "unknown")}}
	if v := get(p, "step_id", nil); v != nil {
		out = append(out, kv{"step_id", v})
	}
	return append(out, kv{"event_timestamp", rubyToS(get(p, "timestamp", nil))})
}

func stepAttrs(p []kv) []kv {
	return append(core(p), kv{"step_name", get(p, "step_name", "unknown_step")})
}

// simple is create_simple_span: an instant under the current span, with one event.
func (s *subscriber) simple(name string, attrs []kv) {
	sp := s.newSpan(name)
	if s.hasHost {
		sp.SetTraceID(s.host.TraceID())
		sp.SetParentSpanID(s.host.SpanID())
	} else {
		sp.SetTraceID(s.newTrace())
	}
	s.otelAttrs(sp.Attributes(), attrs)
	e := sp.Events().AppendEmpty()
	e.SetName("event.processed") // EVENT_ANNOTATION_MAP never matches a payload event_type
	e.SetTimestamp(sp.StartTimestamp())
	s.otelAttrs(e.Attributes(), attrs)
	sp.SetEndTimestamp(sp.StartTimestamp())
	s.ended = append(s.ended, sp)
}

// publish is Publisher#publish of one event to the TelemetrySubscriber's handlers.
func (s *subscriber) publish(event string, p []kv) {
	if get(p, "timestamp", nil) == nil {
		p = append([]kv{{"timestamp", s.clock.UTC().Truncate(time.Second).Format(time.RFC3339)}}, p...)
	}
	taskID := rubyToS(get(p, "task_id", nil))
	switch event {
	case "task.initialize_requested":
		s.simple(spanTaskInitialize, append(core(p), kv{"task_name", get(p, "task_name", "unknown_task")}))
	case "task.start_requested":
		attrs := append(core(p), kv{"task_name", get(p, "task_name", "unknown_task")})
		sp := s.newSpan(spanTaskExecution)
		sp.SetTraceID(s.newTrace()) // start_root_span
		s.otelAttrs(sp.Attributes(), attrs)
		e := sp.Events().AppendEmpty()
		e.SetName("task.started")
		e.SetTimestamp(sp.StartTimestamp())
		s.otelAttrs(e.Attributes(), attrs)
		s.taskSpans[taskID] = sp // replaces (and so loses) a previous span of the task
	case "task.completed", "task.failed":
		sp, ok := s.taskSpans[taskID]
		if !ok {
			return
		}
		attrs := append(core(p), kv{"task_name", get(p, "task_name", "unknown_task")})
		name := "task.completed"
		if event == "task.failed" {
			name = "task.failed"
			errMsg := get(p, "error_message", get(p, "error", "Unknown error"))
			attrs = append(attrs, kv{"error", errMsg}, kv{"exception_class", get(p, "exception_class", "StandardError")},
				kv{"failed_steps", get(p, "failed_steps", 0)})
			sp.Status().SetCode(ptrace.StatusCodeError)
			sp.Status().SetMessage(rubyToS(errMsg))
		} else {
			attrs = append(attrs, kv{"duration", nil}, // calculate_duration: no completed_at in the thin payload
				kv{"total_execution_duration", get(p, "total_execution_duration", 0.0)},
				kv{"current_execution_duration", get(p, "current_execution_duration", 0.0)},
				kv{"total_steps", get(p, "total_steps", 0)}, kv{"completed_steps", get(p, "completed_steps", 0)})
			sp.Status().SetCode(ptrace.StatusCodeOk)
		}
		e := sp.Events().AppendEmpty()
		e.SetName(name)
		e.SetTimestamp(pcommon.NewTimestampFromTime(s.clock))
		s.otelAttrs(e.Attributes(), attrs)
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(s.clock))
		s.ended = append(s.ended, sp)
		delete(s.taskSpans, taskID)
	case "step.execution_requested":
		s.simple(spanStepQueued, append(stepAttrs(p), kv{"attempt_number", get(p, "attempt_number", 1)}))
	case "step.completed", "step.failed":
		task, ok := s.taskSpans[taskID]
		if !ok || get(p, "step_id", nil) == nil {
			return // create_step_span: only while this process holds the task's span
		}
		attrs := stepAttrs(p)
		sp := s.newSpan(spanStepExecution)
		sp.SetTraceID(task.TraceID())
		sp.SetParentSpanID(task.SpanID())
		name := "step.completed"
		if event == "step.failed" {
			name = "step.failed"
			errMsg := get(p, "error_message", get(p, "error", "Unknown error"))
			attrs = append(attrs, kv{"error", errMsg}, kv{"attempt_number", get(p, "attempt_number", 1)},
				kv{"exception_class", get(p, "exception_class", "StandardError")}, kv{"retry_limit", get(p, "retry_limit", 3)})
			sp.Status().SetCode(ptrace.StatusCodeError)
			sp.Status().SetMessage(rubyToS(errMsg))
		} else {
			attrs = append(attrs, kv{"execution_duration", get(p, "execution_duration", 0.0)}, kv{"attempt_number", get(p, "attempt_number", 1)})
			sp.Status().SetCode(ptrace.StatusCodeOk)
		}
		s.otelAttrs(sp.Attributes(), attrs)
		e := sp.Events().AppendEmpty()
		e.SetName(name)
		e.SetTimestamp(sp.StartTimestamp())
		s.otelAttrs(e.Attributes(), attrs)
		sp.SetEndTimestamp(sp.StartTimestamp())
		s.ended = append(s.ended, sp)
	}
}

// export is what the OTLP exporter sends: the ended spans in batches of at most
// batch (0: one batch), under the initializer's resource and the tracer's scope.
func (s *subscriber) export(batch int, hostScope string) []ptrace.Traces {
	var out []ptrace.Traces
	spans := s.ended
	s.ended = nil
	for len(spans) > 0 {
		n := len(spans)
		if batch > 0 && n > batch {
			n = batch
		}
		td := ptrace.NewTraces()
		rs := td.ResourceSpans().AppendEmpty()
		r := rs.Resource().Attributes()
		r.PutStr("service.name", s.service)
		r.PutStr("service.version", "0.1.0")
		r.PutStr("service.framework", "tasker")
		r.PutStr("telemetry.sdk.name", "opentelemetry")
		r.PutStr("telemetry.sdk.language", "ruby")
		r.PutStr("telemetry.sdk.version", "1.8.0")
		r.PutInt("process.pid", 4242)
		var tasker, host ptrace.ScopeSpans
		for _, sp := range spans[:n] {
			if kindOf(sp.Name()) == kindOther {
				if host == (ptrace.ScopeSpans{}) {
					host = rs.ScopeSpans().AppendEmpty()
					host.Scope().SetName(hostScope)
					host.Scope().SetVersion("0.22.1")
				}
				sp.CopyTo(host.Spans().AppendEmpty())
				continue
			}
			if tasker == (ptrace.ScopeSpans{}) {
				tasker = rs.ScopeSpans().AppendEmpty()
				tasker.Scope().SetName(s.service)
				tasker.Scope().SetVersion("0.1.0")
			}
			sp.CopyTo(tasker.Spans().AppendEmpty())
		}
		out = append(out, td)
		spans = spans[n:]
	}
	return out
}
