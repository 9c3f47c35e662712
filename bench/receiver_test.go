// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/entry"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/operator"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/operator/parser/jsonparser"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/operator/parser/regex"
	"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/filelogreceiver"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configgrpc"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/tasker-systems/otelcol-tasker/receiver/taskerreceiver"
)

// counting is a Nop-like consumer for the three signals that only counts items.
type counting struct {
	logs, spans, points atomic.Int64
}

func (c *counting) logsConsumer() consumer.Logs {
	l, _ := consumer.NewLogs(func(_ context.Context, ld plog.Logs) error {
		c.logs.Add(int64(ld.LogRecordCount()))
		return nil
	})
	return l
}

func (c *counting) tracesConsumer() consumer.Traces {
	t, _ := consumer.NewTraces(func(_ context.Context, td ptrace.Traces) error {
		c.spans.Add(int64(td.SpanCount()))
		return nil
	})
	return t
}

func (c *counting) metricsConsumer() consumer.Metrics {
	m, _ := consumer.NewMetrics(func(_ context.Context, md pmetric.Metrics) error {
		c.points.Add(int64(md.DataPointCount()))
		return nil
	})
	return m
}

// freeAddr is a loopback address nobody listens on (the receivers do not tell theirs).
func freeAddr(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(b, err)
	addr := ln.Addr().String()
	must(b, ln.Close())
	return addr
}

var (
	benchTasks = []string{"order_fulfillment", "invoice_sync", "user_onboarding", "report_generation"}
	benchSteps = []string{"validate_order", "reserve_inventory", "charge_payment", "ship_order", "send_confirmation"}
)

// benchTime is the time of event i of the generated streams.
func benchTime(i int) string {
	return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * 7 * time.Millisecond).Format("2006-01-02T15:04:05.000Z")
}

// taskerEvents appends n event-bus payloads (what Tasker publishes, what the HTTP input
// takes), 10 per task: start, viable steps, 3 steps (requested, before_handle for the
// first, completed), completion. Task ids start at firstTask. As in Tasker, the start
// events of attempt 1 say attempt_number 0 and the executor's step.completed (the one
// with completed_at) says 1 (tasker-reference §1.2).
func taskerEvents(buf []byte, n, firstTask int) []byte {
	for i := 0; i < n; i++ {
		task := firstTask + i/10
		name := benchTasks[task%len(benchTasks)]
		k := i % 10
		step := task*10 + (k-2)/3
		stepName := benchSteps[(k-2)/3%len(benchSteps)]
		common := `"task_id":` + strconv.Itoa(task) + `,"task_name":"` + name + `","namespace":"fulfillment","version":"1.0.0","correlation_id":"tsk_m3x9k2a1_` + strconv.Itoa(100000+task) + `"`
		ts := `"timestamp":"` + benchTime(firstTask*10+i) + `"`
		var line string
		switch {
		case k == 0:
			line = `{"event":"task.start_requested",` + common + `,"from_state":"pending","to_state":"in_progress","hostname":"web-1","process_id":4242,"environment":"production","tasker_version":"0.1.0",` + ts + `}`
		case k == 1:
			line = `{"event":"workflow.viable_steps_discovered",` + common + `,"step_ids":[` + strconv.Itoa(task*10) + `,` + strconv.Itoa(task*10+1) + `,` + strconv.Itoa(task*10+2) + `],"processing_mode":"concurrent","step_count":3,"event_type":"viable_steps_discovered","hostname":"web-1","process_id":4242,` + ts + `}`
		case k == 9:
			line = `{"event":"task.completed",` + common + `,"started_at":"` + benchTime(firstTask*10+i-9) + `","completed_at":"` + benchTime(firstTask*10+i) + `","total_steps":3,"completed_steps":3,"failed_steps":0,"total_execution_duration":0.063,"hostname":"web-1","process_id":4242,"environment":"production","tasker_version":"0.1.0",` + ts + `}`
		case (k-2)%3 == 0:
			line = `{"event":"step.execution_requested",` + common + `,"step_id":` + strconv.Itoa(step) + `,"step_name":"` + stepName + `","attempt_number":0,"retry_limit":3,"event_type":"started","hostname":"web-1","process_id":4242,` + ts + `}`
		case (k-2)%3 == 1:
			line = `{"event":"step.before_handle",` + common + `,"step_id":` + strconv.Itoa(step) + `,"step_name":"` + stepName + `","attempt_number":0,"handler_class":"Fulfillment::` + stepName + `Handler","hostname":"web-1","process_id":4242,` + ts + `}`
		default:
			line = `{"event":"step.completed",` + common + `,"step_id":` + strconv.Itoa(step) + `,"step_name":"` + stepName + `","attempt_number":1,"execution_duration":0.014,"started_at":"` + benchTime(firstTask*10+i-2) + `","completed_at":"` + benchTime(firstTask*10+i) + `","hostname":"web-1","process_id":4242,` + ts + `}`
		}
		buf = append(buf, line...)
		buf = append(buf, '\n')
	}
	return buf
}

const (
	perRequest  = 100
	httpClients = 4
	httpBodies  = 256 // distinct request bodies (distinct task ids), cycled
)

type httpImpl struct {
	name string
	// start starts the receiver on addr into c and returns the URL, content type and
	// request bodies to post, and a stop function.
	start func(b *testing.B, addr string, c *counting) (url, contentType string, bodies [][]byte, stop func())
}

func startTasker(b *testing.B, cfg *taskerreceiver.Config, c *counting, logs, traces, metrics bool) func() {
	ctx := context.Background()
	f := taskerreceiver.NewFactory()
	set := receivertest.NewNopSettings(f.Type())
	var comps []component.Component
	if logs {
		r, err := f.CreateLogs(ctx, set, cfg, c.logsConsumer())
		must(b, err)
		comps = append(comps, r)
	}
	if traces {
		r, err := f.CreateTraces(ctx, set, cfg, c.tracesConsumer())
		must(b, err)
		comps = append(comps, r)
	}
	if metrics {
		r, err := f.CreateMetrics(ctx, set, cfg, c.metricsConsumer())
		must(b, err)
		comps = append(comps, r)
	}
	for _, r := range comps {
		must(b, r.Start(ctx, componenttest.NewNopHost()))
	}
	return func() {
		for _, r := range comps {
			must(b, r.Shutdown(ctx))
		}
	}
}

func taskerHTTP(logs, traces, metrics bool) func(b *testing.B, addr string, c *counting) (string, string, [][]byte, func()) {
	return func(b *testing.B, addr string, c *counting) (string, string, [][]byte, func()) {
		cfg := taskerreceiver.NewFactory().CreateDefaultConfig().(*taskerreceiver.Config)
		cfg.HTTP.GetOrInsertDefault().ServerConfig.NetAddr.Endpoint = addr
		stop := startTasker(b, cfg, c, logs, traces, metrics)
		bodies := make([][]byte, httpBodies)
		for i := range bodies {
			bodies[i] = taskerEvents(nil, perRequest, 1000+i*perRequest/10)
		}
		return "http://" + addr + taskerreceiver.DefaultPath, "application/x-ndjson", bodies, stop
	}
}

// otlpBodies turns Tasker event bodies into the log records our receiver makes of them
// (same fields, as attributes; same resource) and encodes them as OTLP/HTTP requests.
func otlpBodies(b *testing.B, proto bool) [][]byte {
	var mu sync.Mutex
	var got []plog.Logs
	capture, _ := consumer.NewLogs(func(_ context.Context, ld plog.Logs) error {
		mu.Lock()
		defer mu.Unlock()
		cp := plog.NewLogs()
		ld.CopyTo(cp)
		got = append(got, cp)
		return nil
	})
	addr := freeAddr(b)
	cfg := taskerreceiver.NewFactory().CreateDefaultConfig().(*taskerreceiver.Config)
	cfg.HTTP.GetOrInsertDefault().ServerConfig.NetAddr.Endpoint = addr
	f := taskerreceiver.NewFactory()
	r, err := f.CreateLogs(context.Background(), receivertest.NewNopSettings(f.Type()), cfg, capture)
	must(b, err)
	must(b, r.Start(context.Background(), componenttest.NewNopHost()))
	const n = 16
	for i := 0; i < n; i++ {
		resp, err := http.Post("http://"+addr+taskerreceiver.DefaultPath, "application/x-ndjson", bytes.NewReader(taskerEvents(nil, perRequest, 1000+i*perRequest/10)))
		must(b, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	must(b, r.Shutdown(context.Background()))
	out := make([][]byte, 0, len(got))
	for _, ld := range got {
		if ld.LogRecordCount() != perRequest {
			b.Fatalf("captured %d records, want %d", ld.LogRecordCount(), perRequest)
		}
		var body []byte
		if proto {
			body, err = (&plog.ProtoMarshaler{}).MarshalLogs(ld)
		} else {
			body, err = (&plog.JSONMarshaler{}).MarshalLogs(ld)
		}
		must(b, err)
		out = append(out, body)
	}
	return out
}

func otlpHTTP(proto bool) func(b *testing.B, addr string, c *counting) (string, string, [][]byte, func()) {
	return func(b *testing.B, addr string, c *counting) (string, string, [][]byte, func()) {
		bodies := otlpBodies(b, proto)
		ctx := context.Background()
		f := otlpreceiver.NewFactory()
		cfg := f.CreateDefaultConfig().(*otlpreceiver.Config)
		cfg.Protocols.GRPC = configoptional.None[configgrpc.ServerConfig]()
		cfg.Protocols.HTTP.GetOrInsertDefault().ServerConfig.NetAddr.Endpoint = addr
		r, err := f.CreateLogs(ctx, receivertest.NewNopSettings(f.Type()), cfg, c.logsConsumer())
		must(b, err)
		must(b, r.Start(ctx, componenttest.NewNopHost()))
		ct := "application/json"
		if proto {
			ct = "application/x-protobuf"
		}
		return "http://" + addr + "/v1/logs", ct, bodies, func() { must(b, r.Shutdown(ctx)) }
	}
}

// BenchmarkHTTPIngest posts requests of 100 events from 4 concurrent clients over real
// loopback HTTP: our receiver (NDJSON of Tasker events, into logs+traces+metrics, and
// into logs alone) and the core otlpreceiver (OTLP/HTTP JSON and protobuf of the log
// records our receiver makes of the same events). items/s counts events (log records).
// allocs/op includes the clients' allocations (same process, same client for all).
func BenchmarkHTTPIngest(b *testing.B) {
	impls := []httpImpl{
		{"tasker_ndjson", taskerHTTP(true, true, true)},
		{"tasker_ndjson_logs", taskerHTTP(true, false, false)},
		{"contrib_otlp_json", otlpHTTP(false)},
		{"contrib_otlp_proto", otlpHTTP(true)},
	}
	for _, im := range impls {
		b.Run(im.name, func(b *testing.B) {
			var c counting
			url, ct, bodies, stop := im.start(b, freeAddr(b), &c)
			defer stop()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: httpClients, DisableCompression: true}}
			defer client.CloseIdleConnections()
			post := func(body []byte) error {
				resp, err := client.Post(url, ct, bytes.NewReader(body))
				if err != nil {
					return err
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					return fmt.Errorf("%s: %s", url, resp.Status)
				}
				return nil
			}
			for _, body := range bodies[:httpClients] { // warm the connections
				must(b, post(body))
			}
			var next atomic.Int64
			var firstErr atomic.Value
			b.ReportAllocs()
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := 0; w < httpClients; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1) - 1
						if i >= int64(b.N) {
							return
						}
						if err := post(bodies[int(i)%len(bodies)]); err != nil {
							firstErr.CompareAndSwap(nil, err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			if err, ok := firstErr.Load().(error); ok {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N*perRequest)/b.Elapsed().Seconds(), "items/s")
		})
	}
}

// taskerLogLines writes n lines as Tasker's StructuredLogging writes them through the
// Rails logger (JSON format, the logger's prefix), 10 per task: task started, 3 steps
// (started, before_handle for the first, completed), task completed. About 437 B/line.
func taskerLogLines(w io.Writer, n int) (bytes int64) {
	bw := bufio.NewWriter(w)
	for i := 0; i < n; i++ {
		task := 1000 + i/10
		name := benchTasks[task%len(benchTasks)]
		k := i % 10
		t := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * 7 * time.Millisecond)
		head := `I, [` + t.Format("2006-01-02T15:04:05.000000") + ` #4242]  INFO -- : {"timestamp":"` + t.Format("2006-01-02T15:04:05.000Z07:00") +
			`","correlation_id":"tsk_m3x9k2a1_` + strconv.Itoa(100000+task) + `","component":"`
		common := `","environment":"production","tasker_version":"0.1.0","process_id":4242`
		var line string
		switch {
		case k == 0 || k == 9:
			typ, status := "started", "in_progress"
			if k == 9 {
				typ, status = "completed", "complete"
			}
			line = head + `task_finalizer","message":"Task ` + typ + common + `,"entity_type":"task","entity_id":` + strconv.Itoa(task) + `,"entity_name":"` + name +
				`","event_type":"` + typ + `","task_status":"` + status + `","task_id":` + strconv.Itoa(task) + `,"namespace":"fulfillment","version":"1.0.0"}`
		default:
			s := (k - 1) / 3
			step := task*10 + s
			typ, status := []string{"started", "before_handle", "completed"}[(k-1)%3], []string{"in_progress", "in_progress", "complete"}[(k-1)%3]
			line = head + `step_executor","message":"Step ` + typ + common + `,"entity_type":"step","entity_id":` + strconv.Itoa(step) + `,"entity_name":"` + benchSteps[s] +
				`","event_type":"` + typ + `","step_status":"` + status + `","task_id":` + strconv.Itoa(task) + `,"task_name":"` + name +
				`"`
			if typ == "completed" { // the duration is known at completion
				line += `,"duration_ms":` + strconv.Itoa(10+i%90) + `.5,"performance_category":"fast"`
			}
			line += `}`
		}
		n, _ := bw.WriteString(line + "\n")
		bytes += int64(n)
	}
	_ = bw.Flush()
	return bytes
}

const tailLines = 200_000

type fileImpl struct {
	name  string
	start func(b *testing.B, path string, c *counting) (stop func())
}

func taskerFiles(logs, traces, metrics bool) func(b *testing.B, path string, c *counting) func() {
	return func(b *testing.B, path string, c *counting) func() {
		cfg := taskerreceiver.NewFactory().CreateDefaultConfig().(*taskerreceiver.Config)
		l := cfg.Logs.GetOrInsertDefault()
		l.Include = []string{path}
		l.StartAt = "beginning"
		l.PollInterval = 10 * time.Millisecond
		return startTasker(b, cfg, c, logs, traces, metrics)
	}
}

func contribFilelog(b *testing.B, path string, c *counting) func() {
	ctx := context.Background()
	f := filelogreceiver.NewFactory()
	cfg := f.CreateDefaultConfig().(*filelogreceiver.FileLogConfig)
	cfg.InputConfig.Include = []string{path}
	cfg.InputConfig.StartAt = "beginning"
	cfg.InputConfig.PollInterval = 10 * time.Millisecond
	re := regex.NewConfig()
	re.Regex = `^(?P<sev>[DIWEFAU]), \[(?P<time>\S+) #(?P<pid>\d+)\]\s+(?P<level>\w+) -- (?P<progname>[^:]*): (?P<payload>.*)$`
	js := jsonparser.NewConfig()
	js.ParseFrom = entry.NewAttributeField("payload")
	cfg.Operators = []operator.Config{{Builder: re}, {Builder: js}}
	r, err := f.CreateLogs(ctx, receivertest.NewNopSettings(f.Type()), cfg, c.logsConsumer())
	must(b, err)
	must(b, r.Start(ctx, componenttest.NewNopHost()))
	return func() { must(b, r.Shutdown(ctx)) }
}

// BenchmarkFileTail tails a file of 200k Tasker JSON log lines (Rails prefix, ~437
// B/line) from the beginning until the sink has counted every line: our receiver's logs
// input (into logs+traces+metrics, and into logs alone) and contrib's filelog receiver
// with a regex_parser for the prefix and a json_parser for the payload. One op is the
// whole file; items/s counts lines.
func BenchmarkFileTail(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "tasker.log")
	f, err := os.Create(path)
	must(b, err)
	size := taskerLogLines(f, tailLines)
	must(b, f.Close())
	impls := []fileImpl{
		{"tasker_logs_all", taskerFiles(true, true, true)},
		{"tasker_logs", taskerFiles(true, false, false)},
		{"contrib_filelog_json", contribFilelog},
	}
	for _, im := range impls {
		b.Run(im.name, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var c counting
				stop := im.start(b, path, &c)
				deadline := time.Now().Add(2 * time.Minute)
				for c.logs.Load() < tailLines {
					if time.Now().After(deadline) {
						b.Fatalf("%d of %d lines after 2m", c.logs.Load(), tailLines)
					}
					time.Sleep(time.Millisecond)
				}
				b.StopTimer()
				stop()
				if got := c.logs.Load(); got != tailLines {
					b.Fatalf("%d lines, want %d", got, tailLines)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(b.N*tailLines)/b.Elapsed().Seconds(), "items/s")
			b.ReportMetric(float64(size)/tailLines, "B/line")
		})
	}
}
