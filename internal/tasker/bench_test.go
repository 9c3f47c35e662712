// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package tasker

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"testing"
)

// Benchmarks of the parsers against the naive peer, encoding/json Unmarshal into
// map[string]any, on the same inputs. Each reports events/s; run with -benchmem for
// allocations. The peer only decodes: it does not normalize ids, times or durations,
// so the comparison flatters it.

// benchEvents is a deterministic mix of Tasker event payloads.
var benchEvents = []string{
	stepCompletedJSON,
	`{"event":"step.failed","timestamp":"2026-11-22T10:00:02Z","task_id":1042,"step_id":50214,"step_name":"ship_order","started_at":"2026-11-22T10:00:01Z","completed_at":"2026-11-22T10:00:02Z","attempt_number":2,"retry_limit":3,"event_type":"failed","error_message":"Carrier API timeout","exception_class":"Net::ReadTimeout","backtrace":["/app/steps/ship_order.rb:31:in 'call'","/gems/net-http/lib/net/protocol.rb:229:in 'rbuf_fill'"],"step_results":{"error":"timeout"}}`,
	`{"event":"task.completed","timestamp":"2026-11-22 10:00:05 +0000","task_id":1042,"task_name":"order_fulfillment","started_at":"2026-11-22T10:00:00Z","completed_at":"2026-11-22T10:00:05Z","task_type":"OrderFulfillmentHandler","event_type":"completed","total_execution_duration":5.125,"total_steps":5,"completed_steps":5,"failed_steps":0,"pending_steps":0,"completion_percentage":100.0,"health_status":"healthy"}`,
	`{"event":"workflow.viable_steps_discovered","event_type":"viable_steps_discovered","orchestration_event":true,"timestamp":"2026-11-22T10:00:00Z","task_id":"1042","step_ids":[50211,50212],"processing_mode":"concurrent","step_count":2,"viable_count":2,"step_names":["validate_order","reserve_inventory"]}`,
	`{"event":"step.retry_requested","timestamp":1795341602,"task_id":1042,"step_id":50214,"step_name":"ship_order","attempt_number":2,"event_type":"retry","previous_attempts":1,"retry_reason":"Step execution failed","backoff_strategy":"exponential","from_state":"error","to_state":"pending","transitioned_at":"2026-11-22T10:00:02Z"}`,
}

// benchLogLines are the same kind of content as Tasker logs it.
var benchLogLines = []string{
	stepLogJSON,
	`E, [2026-11-22T10:00:02.114001 #48211] ERROR -- : {"timestamp":"2026-11-22T10:00:02.114Z","correlation_id":"tsk_m3x9k2p1_a8F3kQ","component":"step_executor","message":"Step failed","environment":"production","tasker_version":"0.1.0","process_id":48211,"thread_id":"1a2b3c","entity_type":"step","entity_id":50214,"entity_name":"ship_order","event_type":"failed","step_status":"error","task_id":1042,"task_name":"order_fulfillment","duration_ms":1002.7,"performance_category":"slow","error":"Carrier API timeout"}`,
	`I, [2026-11-22T10:00:05.000120 #48211]  INFO -- : {"timestamp":"2026-11-22T10:00:05.000Z","correlation_id":"tsk_m3x9k2p1_a8F3kQ","component":"task_finalizer","message":"Task completed","environment":"production","tasker_version":"0.1.0","process_id":48211,"thread_id":"1a2b3c","entity_type":"task","entity_id":1042,"entity_name":"order_fulfillment","event_type":"completed","task_status":"complete"}`,
}

// toLogfmt renders a Tasker JSON log line (after the prefix) as StructuredLogging's
// logfmt: strings quoted, the rest bare.
func toLogfmt(line string) string {
	line = line[strings.IndexByte(line, '{'):]
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	var parts []string
	if _, err := dec.Token(); err != nil {
		panic(err)
	}
	for dec.More() {
		k, _ := dec.Token()
		v, _ := dec.Token()
		switch v := v.(type) {
		case string:
			parts = append(parts, k.(string)+`="`+v+`"`)
		case json.Number:
			parts = append(parts, k.(string)+"="+v.String())
		default:
			parts = append(parts, k.(string)+"="+strconv.Quote(v.(string)))
		}
	}
	return strings.Join(parts, " ")
}

func reportEvents(b *testing.B, perOp int) {
	b.ReportMetric(float64(b.N)*float64(perOp)/b.Elapsed().Seconds(), "events/s")
}

func byteSlices(in []string) [][]byte {
	out := make([][]byte, len(in))
	for i, s := range in {
		out[i] = []byte(s)
	}
	return out
}

func BenchmarkParseEvent(b *testing.B) {
	inputs := byteSlices(benchEvents)
	var size int
	for _, in := range inputs {
		size += len(in)
	}
	b.Run("tasker", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(size / len(inputs)))
		for i := 0; b.Loop(); i++ {
			if _, err := ParseEvent(inputs[i%len(inputs)]); err != nil {
				b.Fatal(err)
			}
		}
		reportEvents(b, 1)
	})
	b.Run("tasker_parser", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(size / len(inputs)))
		var p Parser
		for i := 0; b.Loop(); i++ {
			if _, err := p.ParseEvent(inputs[i%len(inputs)]); err != nil {
				b.Fatal(err)
			}
		}
		reportEvents(b, 1)
	})
	b.Run("encoding_json_map", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(size / len(inputs)))
		for i := 0; b.Loop(); i++ {
			var m map[string]any
			if err := json.Unmarshal(inputs[i%len(inputs)], &m); err != nil {
				b.Fatal(err)
			}
		}
		reportEvents(b, 1)
	})
}

func BenchmarkParseLogLine(b *testing.B) {
	jsonLines := byteSlices(benchLogLines)
	var logfmtLines [][]byte
	for _, l := range benchLogLines {
		logfmtLines = append(logfmtLines, []byte(l[:strings.IndexByte(l, '{')]+toLogfmt(l)))
	}
	for _, bc := range []struct {
		name  string
		lines [][]byte
	}{{"json_prefix", jsonLines}, {"logfmt_prefix", logfmtLines}} {
		b.Run(bc.name+"/tasker", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.lines[0])))
			for i := 0; b.Loop(); i++ {
				if _, ok, err := ParseLogLine(bc.lines[i%len(bc.lines)]); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
			reportEvents(b, 1)
		})
	}
	// The receiver's way: one Parser (payload blocks), the line copied or handed over.
	for _, owned := range []bool{false, true} {
		name := "json_prefix/parser"
		if owned {
			name = "json_prefix/owned"
		}
		b.Run(name, func(b *testing.B) {
			var p Parser
			parse := p.ParseLogLine
			if owned {
				parse = p.ParseLogLineOwned
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(jsonLines[0])))
			for i := 0; b.Loop(); i++ {
				if _, ok, err := parse(jsonLines[i%len(jsonLines)]); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
			reportEvents(b, 1)
		})
	}
	// The peer gets the JSON lines (it cannot read logfmt): find the payload after the
	// prefix, decode it into a map.
	b.Run("json_prefix/encoding_json_map", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(jsonLines[0])))
		for i := 0; b.Loop(); i++ {
			line := jsonLines[i%len(jsonLines)]
			var m map[string]any
			if err := json.Unmarshal(line[bytes.IndexByte(line, '{'):], &m); err != nil {
				b.Fatal(err)
			}
		}
		reportEvents(b, 1)
	})
}

func BenchmarkParseBatch(b *testing.B) {
	const n = 100
	var items []string
	for i := 0; i < n; i++ {
		items = append(items, benchEvents[i%len(benchEvents)])
	}
	ndjson := []byte(strings.Join(items, "\n") + "\n")
	array := []byte("[" + strings.Join(items, ",") + "]")
	for _, bc := range []struct {
		name string
		body []byte
	}{{"ndjson", ndjson}, {"array", array}} {
		b.Run(bc.name+"/tasker", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.body)))
			for b.Loop() {
				count := 0
				if err := ParseBatch(bc.body, func(_ int, _ Event, err error) {
					if err != nil {
						b.Fatal(err)
					}
					count++
				}); err != nil || count != n {
					b.Fatal(err, count)
				}
			}
			reportEvents(b, n)
		})
	}
	b.Run("ndjson/encoding_json_map", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(ndjson)))
		for b.Loop() {
			dec := json.NewDecoder(bytes.NewReader(ndjson))
			count := 0
			for {
				var m map[string]any
				if err := dec.Decode(&m); err == io.EOF {
					break
				} else if err != nil {
					b.Fatal(err)
				}
				count++
			}
			if count != n {
				b.Fatal(count)
			}
		}
		reportEvents(b, n)
	})
	b.Run("array/encoding_json_map", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(array)))
		for b.Loop() {
			var ms []map[string]any
			if err := json.Unmarshal(array, &ms); err != nil || len(ms) != n {
				b.Fatal(err)
			}
		}
		reportEvents(b, n)
	})
}
