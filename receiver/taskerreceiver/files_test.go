// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"context"
	"errors"
	"fmt"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/fileconsumer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/tasker-systems/otelcol-tasker/receiver/taskerreceiver/internal/metadata"
	"github.com/tasker-systems/otelcol-tasker/receiver/taskerreceiver/internal/metadatatest"
)

func fileConfig(dir string, storageID *component.ID) *Config {
	cfg := createDefaultConfig().(*Config)
	l := cfg.Logs.GetOrInsertDefault()
	l.Include = []string{filepath.Join(dir, "*.log")}
	l.StartAt = "beginning"
	l.PollInterval = 20 * time.Millisecond
	l.Storage = storageID
	return cfg
}

// runFiles starts a receiver on the files, waits for want log records in total, and
// stops it.
func runFiles(t *testing.T, cfg *Config, host component.Host, sink *consumertest.LogsSink, want int) {
	t.Helper()
	set := receivertest.NewNopSettings(metadata.Type)
	set.ID = component.NewIDWithName(metadata.Type, "files")
	r, err := NewFactory().CreateLogs(context.Background(), set, cfg, sink)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), host))
	require.Eventually(t, func() bool { return sink.LogRecordCount() >= want }, 5*time.Second, 10*time.Millisecond, "got %d of %d", sink.LogRecordCount(), want)
	time.Sleep(100 * time.Millisecond) // a few more polls: nothing more may come
	require.NoError(t, r.Shutdown(context.Background()))
}

func bodies(sink *consumertest.LogsSink) []string {
	var out []string
	for _, l := range sink.AllLogs() {
		for i := 0; i < l.ResourceLogs().Len(); i++ {
			sls := l.ResourceLogs().At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				lrs := sls.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					out = append(out, lrs.At(k).Body().AsString())
				}
			}
		}
	}
	return out
}

func appendLines(t *testing.T, path string, lines ...string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	require.NoError(t, err)
	for _, l := range lines {
		_, err = f.WriteString(l + "\n")
		require.NoError(t, err)
	}
	require.NoError(t, f.Close())
}

func jsonLine(i int) string {
	return fmt.Sprintf(`I, [2026-01-10T10:00:%02d.000000 #4242]  INFO -- : {"timestamp":"2026-01-10T10:00:%02d.000Z","correlation_id":"tsk_x_%d","component":"step_executor","message":"Step completed","environment":"production","tasker_version":"0.1.0","process_id":4242,"entity_type":"step","entity_id":%d,"entity_name":"s%d","event_type":"completed","task_id":9,"task_name":"t","duration_ms":120}`, i%60, i%60, i, i, i)
}

// railsLine is a message behind Logger::Formatter's prefix, as Rails.logger writes it.
func railsLine(msg string) string {
	return "I, [2026-01-10T10:00:30.250000 #4242]  INFO -- : " + msg
}

func TestFilesExactlyOnceAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	storeDir := t.TempDir()
	id := storagetest.NewStorageID("files")
	host := storagetest.NewStorageHost().WithExtension(id, storagetest.NewFileBackedStorageExtension("files", storeDir))
	path := filepath.Join(dir, "app.log")
	appendLines(t, path, jsonLine(1), railsLine("[Tasker::MetricsBackend] Cache strategy selected: local_only"), jsonLine(2))

	sink := new(consumertest.LogsSink)
	runFiles(t, fileConfig(dir, &id), host, sink, 3)
	first := bodies(sink)
	require.Len(t, first, 3)
	assert.ElementsMatch(t, []string{"Step completed", "[Tasker::MetricsBackend] Cache strategy selected: local_only", "Step completed"}, first)

	// While stopped, more lines arrive; after the restart exactly those are read.
	appendLines(t, path, jsonLine(3), jsonLine(4))
	sink2 := new(consumertest.LogsSink)
	runFiles(t, fileConfig(dir, &id), host, sink2, 2)
	second := bodies(sink2)
	assert.Len(t, second, 2, "%v", second)

	// A third start with nothing new reads nothing.
	sink3 := new(consumertest.LogsSink)
	runFiles(t, fileConfig(dir, &id), host, sink3, 0)
	assert.Equal(t, 0, sink3.LogRecordCount())
}

func TestFilesEventsAndPlainLines(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	appendLines(t, path, jsonLine(7), railsLine("just text"), railsLine(`{"broken": `))
	sink := new(consumertest.LogsSink)
	runFiles(t, fileConfig(dir, nil), nil, sink, 3)
	var recs []plog.LogRecord
	var res []map[string]any
	for _, l := range sink.AllLogs() {
		for i := 0; i < l.ResourceLogs().Len(); i++ {
			rl := l.ResourceLogs().At(i)
			for k := 0; k < rl.ScopeLogs().At(0).LogRecords().Len(); k++ {
				recs = append(recs, rl.ScopeLogs().At(0).LogRecords().At(k))
				res = append(res, rl.Resource().Attributes().AsRaw())
			}
		}
	}
	require.Len(t, recs, 3)
	ev := recs[0]
	name, _ := ev.Attributes().Get("tasker.step.id")
	assert.Equal(t, "7", name.Str())
	assert.False(t, ev.TraceID().IsEmpty())
	assert.Equal(t, "production", res[0]["deployment.environment.name"])
	assert.Equal(t, "0.1.0", res[0]["tasker.version"])
	assert.Equal(t, int64(4242), res[0]["process.pid"])
	assert.Equal(t, "just text", recs[1].Body().Str())
	assert.True(t, recs[1].TraceID().IsEmpty())
	_, hasErr := recs[2].Attributes().Get("tasker.parse_error")
	assert.True(t, hasErr)
}

func TestFilesPrettyJSONMultiline(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	appendLines(t, path, "{", `  "timestamp": "2026-01-10T10:00:00.000Z",`, `  "message": "Task completed",`, `  "entity_type": "task",`, `  "entity_id": 5,`, `  "event_type": "completed",`, `  "task_name": "t"`, "}",
		"{", `  "timestamp": "2026-01-10T10:00:01.000Z",`, `  "message": "Task started",`, `  "entity_type": "task",`, `  "entity_id": 6,`, `  "event_type": "started"`, "}")
	cfg := fileConfig(dir, nil)
	cfg.Logs.Get().SplitConfig.LineStartPattern = `^\{`
	cfg.Logs.Get().FlushPeriod = 50 * time.Millisecond
	sink := new(consumertest.LogsSink)
	runFiles(t, cfg, nil, sink, 2)
	b := bodies(sink)
	require.Len(t, b, 2, "%v", b)
	assert.Equal(t, []string{"Task completed", "Task started"}, b)
}

// TestFilesJoinContinuations: with the Rails prefix, an entry's continuation lines
// (the TaskFinalizer's two-line message, ActiveJob's backtrace, pretty_json) are one
// record, with the entry's time, without any multiline setting; so is a pretty_json
// object without a prefix.
func TestFilesJoinContinuations(t *testing.T) {
	dir := t.TempDir()
	appendLines(t, filepath.Join(dir, "app.log"),
		railsLine("TaskFinalizer: Task 44 completed successfully (2 steps,"), "                            100.0% complete)",
		"E, [2026-01-10T10:00:31.000000 #4242] ERROR -- : Error performing Tasker::TaskRunnerJob (Job ID: 5f0e) from Async(default) in 1220.4ms: NameError (uninitialized constant Tasker::Constants::TaskStatuses::FAILED):",
		"/gems/tasker-engine-0.1.0/app/jobs/tasker/task_runner_job.rb:198:in 'Tasker::TaskRunnerJob#validate_task_completion'",
		"/gems/activejob-7.2.2/lib/active_job/execution.rb:68:in 'ActiveJob::Execution#perform_now'",
		railsLine("{"), `  "timestamp": "2026-01-10T10:00:32.000Z",`, `  "message": "Task completed",`, `  "tasker_version": "0.1.0",`,
		`  "entity_type": "task",`, `  "entity_id": 5,`, `  "event_type": "completed"`, "}")
	appendLines(t, filepath.Join(dir, "bare.log"), "{", `  "timestamp": "2026-01-10T10:00:33.000Z",`, `  "message": "Task started",`,
		`  "tasker_version": "0.1.0",`, `  "entity_type": "task",`, `  "entity_id": 6,`, `  "event_type": "started"`, "}")
	sink := new(consumertest.LogsSink)
	runFiles(t, fileConfig(dir, nil), nil, sink, 4)
	recs := allRecords(sink)
	require.Len(t, recs, 4, "%v", bodies(sink))
	byBody := map[string]plog.LogRecord{}
	for _, r := range recs {
		byBody[strings.SplitN(r.Body().Str(), "\n", 2)[0]] = r
	}
	fin := byBody["TaskFinalizer: Task 44 completed successfully (2 steps,"]
	assert.Equal(t, "TaskFinalizer: Task 44 completed successfully (2 steps,\n                            100.0% complete)", fin.Body().Str())
	assert.Equal(t, "2026-01-10T10:00:30.25Z", fin.Timestamp().AsTime().Format(time.RFC3339Nano), "the entry's time, not the collector's")
	job := byBody["Error performing Tasker::TaskRunnerJob (Job ID: 5f0e) from Async(default) in 1220.4ms: NameError (uninitialized constant Tasker::Constants::TaskStatuses::FAILED):"]
	assert.Equal(t, 3, strings.Count(job.Body().Str(), "\n")+1)
	assert.Equal(t, "ERROR", job.SeverityText())
	assert.Equal(t, "Task completed", byBody["Task completed"].Body().Str())
	assert.Equal(t, "Task started", byBody["Task started"].Body().Str())

	// join_continuations: false: every line is its own record, and one without a time of
	// its own has none (only the observed time).
	dir2 := t.TempDir()
	appendLines(t, filepath.Join(dir2, "app.log"), railsLine("two-line message,"), "   second line")
	cfg := fileConfig(dir2, nil)
	cfg.Logs.Get().JoinContinuations = false
	sink2 := new(consumertest.LogsSink)
	runFiles(t, cfg, nil, sink2, 2)
	require.Equal(t, 2, sink2.LogRecordCount())
	var second plog.LogRecord
	for _, r := range allRecords(sink2) {
		if r.Body().Str() == "second line" { // the fileconsumer trims leading whitespace
			second = r
		}
	}
	assert.Zero(t, second.Timestamp())
	assert.NotZero(t, second.ObservedTimestamp())
}

func allRecords(sink *consumertest.LogsSink) []plog.LogRecord {
	var recs []plog.LogRecord
	for _, l := range sink.AllLogs() {
		for i := 0; i < l.ResourceLogs().Len(); i++ {
			lrs := l.ResourceLogs().At(i).ScopeLogs().At(0).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				recs = append(recs, lrs.At(k))
			}
		}
	}
	return recs
}

// flakyLogs refuses the first fail batches (a full queue), then takes everything.
type flakyLogs struct {
	consumertest.LogsSink
	fail atomic.Int64
}

func (f *flakyLogs) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if f.fail.Add(-1) >= 0 {
		return errors.New("sending queue is full")
	}
	return f.LogsSink.ConsumeLogs(ctx, ld)
}

// TestFilesRetryOnFailure: refused lines are retried (retry_on_failure) and arrive
// exactly once; with retries disabled they are dropped and counted.
func TestFilesRetryOnFailure(t *testing.T) {
	dir := t.TempDir()
	var lines []string
	for i := range 20 {
		lines = append(lines, jsonLine(i))
	}
	appendLines(t, filepath.Join(dir, "a.log"), lines...)

	cfg := fileConfig(dir, nil)
	cfg.Logs.Get().RetryOnFailure.InitialInterval = 10 * time.Millisecond
	sink := &flakyLogs{}
	sink.fail.Store(3)
	set := receivertest.NewNopSettings(metadata.Type)
	r, err := NewFactory().CreateLogs(context.Background(), set, cfg, sink)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	require.Eventually(t, func() bool { return sink.LogRecordCount() >= 20 }, 5*time.Second, 10*time.Millisecond)
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, r.Shutdown(context.Background()))
	assert.Equal(t, 20, sink.LogRecordCount(), "every line once, after three refusals")

	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	cfg = fileConfig(dir, nil)
	cfg.Logs.Get().RetryOnFailure.Enabled = false
	refusing := &flakyLogs{}
	refusing.fail.Store(1 << 30)
	r, err = NewFactory().CreateLogs(context.Background(), metadatatest.NewSettings(tel), cfg, refusing)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	require.Eventually(t, func() bool {
		m, err := tel.GetMetric("otelcol_receiver_tasker_events_dropped")
		if err != nil {
			return false
		}
		var n int64
		for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
			n += dp.Value
		}
		return n == 20
	}, 5*time.Second, 10*time.Millisecond, "20 lines dropped and counted")
	require.NoError(t, r.Shutdown(context.Background()))
	assert.Zero(t, refusing.LogRecordCount())
}

// TestFileconsumerTokensKept: buildLines parses the fileconsumer's tokens in place,
// without copying them (Parser.ParseLogLineOwned), which is right only as long as the
// fileconsumer hands over tokens it never touches again (v0.160.0 decodes each one into
// new memory). Every token of several batches and several reads of its buffer must be
// intact after the last batch, with and without the continuation-joining split.
func TestFileconsumerTokensKept(t *testing.T) {
	for _, join := range []bool{false, true} {
		dir := t.TempDir()
		var want []string
		for i := 0; i < 2000; i++ {
			want = append(want, jsonLine(i))
		}
		appendLines(t, filepath.Join(dir, "a.log"), want...)
		lc := fileConfig(dir, nil).Logs.Get()
		var opts []fileconsumer.Option
		if join {
			opts = append(opts, fileconsumer.WithSplitFunc(joinSplit))
		}
		var mu sync.Mutex
		var kept [][]byte
		var batches int
		emit := func(_ context.Context, tokens [][]byte, _ map[string]any, _ int64, _ []int64) error {
			mu.Lock()
			defer mu.Unlock()
			kept = append(kept, tokens...)
			batches++
			return nil
		}
		m, err := lc.Config.Build(componenttest.NewNopTelemetrySettings(), emit, opts...)
		require.NoError(t, err)
		require.NoError(t, m.Start(storage.NewNopClient()))
		require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(kept) >= len(want) }, 5*time.Second, 10*time.Millisecond)
		require.NoError(t, m.Stop())
		require.Greater(t, batches, 1)
		got := make([]string, len(kept))
		for i, tok := range kept {
			got[i] = string(tok)
		}
		require.Equal(t, want, got, "join %v", join)
	}
}
