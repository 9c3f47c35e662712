// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
)

// BenchmarkHTTPIngest posts NDJSON batches of 100 events to a real server on loopback,
// through the handler into consumertest sinks (logs, traces, metrics).
func BenchmarkHTTPIngest(b *testing.B) {
	url, _ := startHTTPReceiver(b, nil, nil)
	const perBatch = 100
	var buf bytes.Buffer
	for i := 0; i < perBatch/4; i++ {
		fmt.Fprintf(&buf, `{"event":"step.execution_requested","task_id":%d,"step_id":%d,"step_name":"s","attempt_number":1,"timestamp":"2026-01-10T10:00:00Z"}`+"\n", i, i)
		fmt.Fprintf(&buf, `{"event":"step.completed","task_id":%d,"step_id":%d,"step_name":"s","attempt_number":1,"execution_duration":0.2,"timestamp":"2026-01-10T10:00:01Z"}`+"\n", i, i)
		fmt.Fprintf(&buf, `{"event":"workflow.viable_steps_discovered","task_id":%d,"step_ids":[1,2],"step_count":2,"timestamp":"2026-01-10T10:00:01Z"}`+"\n", i)
		fmt.Fprintf(&buf, `{"event":"task.completed","task_id":%d,"task_name":"t","started_at":"2026-01-10T09:59:00Z","timestamp":"2026-01-10T10:00:02Z"}`+"\n", i)
	}
	body := buf.Bytes()
	client := &http.Client{}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := client.Post(url+"/v1/events", "application/x-ndjson", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatal(resp.Status)
		}
	}
	b.ReportMetric(float64(b.N*perBatch)/b.Elapsed().Seconds(), "events/s")
}

func TestIDsStringAndNumberAgree(t *testing.T) {
	var a, c tasker.Event
	require.NoError(t, tasker.ParseBatch([]byte(`{"event":"task.completed","task_id":42}`), func(_ int, ev tasker.Event, err error) { require.NoError(t, err); a = ev }))
	require.NoError(t, tasker.ParseBatch([]byte(`{"event":"task.completed","task_id":"42"}`), func(_ int, ev tasker.Event, err error) { require.NoError(t, err); c = ev }))
	assert.Equal(t, newTraceID("s", "", a.TaskID), newTraceID("s", "", c.TaskID))
	assert.NotEqual(t, newTraceID("s", "", "42"), newTraceID("other", "", "42"))
	assert.NotEqual(t, newTraceID("s", "production", "42"), newTraceID("s", "staging", "42"), "deployments reuse task ids")
	assert.NotEqual(t, newStepSpanID("s", "", "1", "2", 1), newStepSpanID("s", "", "1", "2", 2))
	assert.NotEqual(t, newTaskSpanID("s", "", "1"), newStepSpanID("s", "", "1", "", 0))
}

func TestStartTableEvictions(t *testing.T) {
	tb := newStartTable(2, time.Minute)
	now := time.Unix(1000, 0)
	_, ev := tb.open(spanKey{task: "1"}, now)
	assert.Equal(t, 0, ev)
	tb.open(spanKey{task: "2"}, now)
	_, ev = tb.open(spanKey{task: "3"}, now)
	assert.Equal(t, 1, ev)
	assert.Nil(t, tb.get(spanKey{task: "1"}))
	assert.Equal(t, 2, tb.expire(now.Add(2*time.Minute)))
	assert.Equal(t, 0, tb.len())

	b := testBuilder(t, func(c *Config) { c.Spans.MaxOpen = 1 })
	out := b.build(parseBody(t, readFixture(t, "tasker/task_end_twice.ndjson")), "", true)
	assert.Positive(t, out.stats.evictions)
}

func TestDedupeWindow(t *testing.T) {
	d := newDedupeWindow(time.Minute, 2)
	now := time.Unix(1000, 0)
	k := dedupeKey{span: spanKey{task: "1"}, outcome: 1}
	assert.False(t, d.seen(k, now))
	assert.True(t, d.seen(k, now.Add(time.Second)))
	assert.False(t, d.seen(k, now.Add(2*time.Minute)), "outside the window")
	d.seen(dedupeKey{span: spanKey{task: "2"}}, now.Add(2*time.Minute))
	d.seen(dedupeKey{span: spanKey{task: "3"}}, now.Add(2*time.Minute))
	assert.False(t, d.seen(k, now.Add(2*time.Minute)), "evicted by max_entries")
	off := newDedupeWindow(0, 1)
	assert.False(t, off.seen(k, now))
	assert.False(t, off.seen(k, now))

	b := testBuilder(t, nil)
	out := b.build(parseBody(t, readFixture(t, "tasker/task_end_twice.ndjson")), "", true)
	assert.Equal(t, int64(5), out.stats.duplicates, "2 step copies, 1 task copy; 1 step copy, 1 task copy")
	out = b.build(parseBody(t, readFixture(t, "tasker/task_end_twice.ndjson")), "", true)
	assert.Equal(t, int64(9), out.stats.duplicates, "a replay within the window adds no spans")
	assert.Equal(t, 0, out.traces.SpanCount())
}

func TestSamplingDeterministic(t *testing.T) {
	ev := tasker.Event{Name: "x", TaskID: "123"}
	first := sampled(&ev, 0.5)
	for i := 0; i < 10; i++ {
		assert.Equal(t, first, sampled(&ev, 0.5))
	}
	kept := 0
	for i := 0; i < 10000; i++ {
		e := tasker.Event{Name: "x", TaskID: fmt.Sprint(i)}
		if sampled(&e, 0.25) {
			kept++
		}
	}
	assert.InDelta(t, 2500, kept, 300)
}

func TestStepStatesBounded(t *testing.T) {
	tb := newStartTable(2, time.Minute)
	now := time.Unix(1000, 0)
	a, b, c := spanKey{task: "1", step: "a"}, spanKey{task: "1", step: "b"}, spanKey{task: "1", step: "c"}
	tb.step(a, now, true)
	tb.step(b, now, true)
	tb.step(a, now.Add(time.Second), true) // a is now the most recent
	tb.step(c, now.Add(time.Second), true) // evicts b
	assert.NotNil(t, tb.step(a, now.Add(time.Second), false))
	assert.Nil(t, tb.step(b, now, false))
	assert.NotNil(t, tb.step(c, now.Add(time.Second), false))
	tb.expire(now.Add(time.Minute + 2*time.Second))
	assert.Nil(t, tb.step(a, now, false))
	assert.Nil(t, tb.step(c, now, false))
	assert.Zero(t, tb.sorder.n)
}

// BenchmarkItemCounter counts the items of an NDJSON body of 100 events as the HTTP
// input does while the body streams in (admission.go).
func BenchmarkItemCounter(b *testing.B) {
	body := itemCounterBody()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var c itemCounter
		if c.feed(body) != 100 {
			b.Fatal("miscounted")
		}
	}
}

// itemCounterBody is an NDJSON body of 100 step.completed events (23 kB).
func itemCounterBody() []byte {
	var buf bytes.Buffer
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&buf, `{"event":"step.completed","task_id":%d,"step_id":%d,"step_name":"validate_order","task_name":"order_fulfillment","attempt_number":1,"execution_duration":0.2,"message":"Step \"validate\" completed","timestamp":"2026-01-10T10:00:01Z"}`+"\n", i, i)
	}
	return buf.Bytes()
}

// BenchmarkItemBound is what bodyReader.tooMany does instead of BenchmarkItemCounter for
// the same body while the bound is within max_events (the default 10,000).
func BenchmarkItemBound(b *testing.B) {
	body := itemCounterBody()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r := bodyReader{maxEvents: DefaultMaxEvents}
		if r.tooMany(nil, body) || r.exact {
			b.Fatal("counted")
		}
	}
}

// benchTaskLines are the lines of one task as BenchmarkFileTail (bench module) writes
// them: task started, three steps (started, before_handle, completed for the first two),
// task completed, as Tasker's StructuredLogging writes them through the Rails logger.
// The verbs are the time of the line (%[1]s, %[2]s), the task id (%[3]d) and the step
// id (%[4]d).
var benchTaskLines = func() []string {
	head := `I, [%[1]s #4242]  INFO -- : {"timestamp":"%[2]s","correlation_id":"tsk_m3x9k2a1_1%[3]05d","component":`
	common := `"environment":"production","tasker_version":"0.1.0","process_id":4242`
	task := head + `"task_finalizer","message":"Task %[5]s",` + common + `,"entity_type":"task","entity_id":%[3]d,"entity_name":"order_fulfillment","event_type":"%[5]s","task_status":"%[6]s","task_id":%[3]d,"namespace":"fulfillment","version":"1.0.0"}`
	step := head + `"step_executor","message":"Step %[5]s",` + common + `,"entity_type":"step","entity_id":%[4]d,"entity_name":"validate_order","event_type":"%[5]s","step_status":"%[6]s","task_id":%[3]d,"task_name":"order_fulfillment"`
	lines := []string{task}
	for range 2 {
		lines = append(lines, step+`}`, step+`}`, step+`,"duration_ms":42.5,"performance_category":"fast"}`)
	}
	return append(lines, step+`}`, step+`}`, task)
}()

// benchLines is lines [from, from+n) of the BenchmarkFileTail stream (10 per task).
func benchLines(from, n int) [][]byte {
	verbs := [...][2]string{{"started", "in_progress"}, {"started", "in_progress"}, {"before_handle", "in_progress"},
		{"completed", "complete"}, {"started", "in_progress"}, {"before_handle", "in_progress"}, {"completed", "complete"},
		{"started", "in_progress"}, {"before_handle", "in_progress"}, {"completed", "complete"}}
	out := make([][]byte, 0, n)
	for i := from; i < from+n; i++ {
		t := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * 7 * time.Millisecond)
		task, k := 1000+i/10, i%10
		out = append(out, fmt.Appendf(nil, benchTaskLines[k], t.Format("2006-01-02T15:04:05.000000"), t.Format("2006-01-02T15:04:05.000Z07:00"),
			task, task*10+(k-1)/3, verbs[k][0], verbs[k][1]))
	}
	return out
}

// BenchmarkBuildLines builds the lines of BenchmarkFileTail in calls of 100 (as the
// fileconsumer hands them over), into logs + traces + metrics and into logs alone; new
// tasks in every op.
func BenchmarkBuildLines(b *testing.B) {
	const perOp = 2000
	for _, all := range []bool{true, false} {
		name := "all"
		if !all {
			name = "logs"
		}
		b.Run(name, func(b *testing.B) {
			bl := testBuilder(b, nil)
			bl.nowFunc = time.Now
			bl.wantTraces, bl.wantMetrics = all, all
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				lines := benchLines(i*perOp, perOp)
				b.StartTimer()
				for j := 0; j < perOp; j += 100 {
					bl.buildLines(lines[j:j+100], nil)
				}
			}
			b.ReportMetric(float64(b.N*perOp)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}
