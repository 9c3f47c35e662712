// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The log sequences of testdata/tasker/*.log, written from Tasker's source in its
// `json` format behind Ruby's Logger::Formatter prefix (tasker-reference §7.1):
// StructuredLogging#build_structured_log_entry's fields and order
// (concerns/structured_logging.rb:252-261,322-336), log_step_event/log_task_event
// (:129-169), log_exception (:229-239, after the handler's "Step failed",
// concerns/event_publisher.rb:89-105), the lines of one attempt in
// StepExecutor#execute_single_step order (orchestration/step_executor.rb:159-409:
// execution_starting with attempt_count, validation_passed with step_attempts, ...,
// workflow_completed / workflow_failed), the TaskRunnerJob lines with ActiveJob's tags
// (app/jobs/tasker/task_runner_job.rb:27-211) and the finalizer's two-line message
// (orchestration/task_finalizer.rb:109-110). Step lines carry the pool thread's
// correlation id, not the run's.
//
//   - attempt_success.log: one successful attempt (two "Step started", two "Step completed").
//   - failure_retry.log: a failed attempt, then the next attempt (attempt_count 1) succeeds.
//   - failed_step.log: the tail of a failure: "Step failed", "Exception occurred", workflow_failed,
//     the executor's "Step failed".
//   - task_end.log: a job run whose two steps run in parallel on two threads, then the task's end.
//
// logfmt and pretty_json renderings are derived from the JSON lines the way Tasker's
// format_log_output does (structured_logging.rb:281-303).
var logSequences = []string{"attempt_success", "failure_retry", "failed_step", "task_end"}

// renderLogfmt renders a JSON entry as format_as_logfmt: strings in double quotes
// without escaping, everything else with to_s (nil empty, arrays as Ruby's inspect);
// event_type is a Symbol and goes bare.
func renderLogfmt(t *testing.T, obj string) string {
	dec := json.NewDecoder(strings.NewReader(obj))
	dec.UseNumber()
	_, err := dec.Token()
	require.NoError(t, err)
	var parts []string
	for dec.More() {
		k, err := dec.Token()
		require.NoError(t, err)
		var v any
		require.NoError(t, dec.Decode(&v))
		parts = append(parts, k.(string)+"="+rubyToS(k.(string), v, true))
	}
	return strings.Join(parts, " ")
}

func rubyToS(key string, v any, top bool) string {
	switch x := v.(type) {
	case nil:
		if top {
			return ""
		}
		return "nil"
	case string:
		if top && key != "event_type" {
			return `"` + x + `"`
		}
		if top {
			return x
		}
		return strconv.Quote(x)
	case []any:
		items := make([]string, len(x))
		for i, e := range x {
			items[i] = rubyToS("", e, false)
		}
		return "[" + strings.Join(items, ", ") + "]"
	case map[string]any:
		b, _ := json.Marshal(x) // not in these fixtures' log lines but for task_context
		return strings.ReplaceAll(strings.ReplaceAll(string(b), `":`, `"=>`), ",", ", ")
	}
	return strings.TrimSpace(jsonText(v))
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// renderLog renders the JSON form of a log fixture in format ("json", "logfmt" or
// "pretty_json"); the prefix and tags stay on the first line of each entry.
func renderLog(t *testing.T, text, format string) string {
	var out []string
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		i := strings.Index(l, "{")
		if format == "json" || i < 0 || !strings.HasSuffix(l, "}") {
			out = append(out, l)
			continue
		}
		pre, obj := l[:i], l[i:]
		switch format {
		case "logfmt":
			out = append(out, pre+renderLogfmt(t, obj))
		case "pretty_json":
			var b bytes.Buffer
			require.NoError(t, json.Indent(&b, []byte(obj), "", "  "))
			out = append(out, pre+b.String())
		}
	}
	return strings.Join(out, "\n") + "\n"
}

// splitEntries runs joinSplit over a whole file.
func splitEntries(t testing.TB, text string) [][]byte {
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	sc.Split(joinSplit)
	var tokens [][]byte
	for sc.Scan() {
		tokens = append(tokens, append([]byte(nil), sc.Bytes()...))
	}
	require.NoError(t, sc.Err())
	return tokens
}

var logAttrs = map[string]any{"log.file.name": "tasker.log"}

// TestTaskerSequencesLogs: every log sequence in every format Tasker writes gives the
// same signals (one golden per sequence), with each multi-line entry as one record.
func TestTaskerSequencesLogs(t *testing.T) {
	for _, name := range logSequences {
		text := string(readFixture(t, "tasker/"+name+".log"))
		for _, format := range []string{"json", "logfmt", "pretty_json"} {
			t.Run(name+"/"+format, func(t *testing.T) {
				rendered := renderLog(t, text, format)
				tokens := splitEntries(t, rendered)
				require.Len(t, tokens, len(splitEntries(t, text)), "one token per entry")
				b := testBuilder(t, nil)
				out := b.buildLines(tokens, logAttrs)
				assert.Zero(t, out.rejected)
				checkGolden(t, "logs_"+name, out)
			})
		}
	}
}

func TestLogsFailureRetryLinks(t *testing.T) {
	b := testBuilder(t, nil)
	out := b.buildLines(splitEntries(t, string(readFixture(t, "tasker/failure_retry.log"))), logAttrs)
	spans := spansByName(out.traces)["charge_card"]
	require.Len(t, spans, 2)
	failed, retry := spans[0], spans[1]
	assert.Equal(t, ptrace.StatusCodeError, failed.Status().Code())
	ex := eventNamed(t, failed, "exception").Attributes()
	assert.Equal(t, "Payments::CardDeclined", strAttr(ex, "exception.type"), "from the Exception occurred line held with the span")
	assert.Contains(t, strAttr(ex, "exception.stacktrace"), "charge_card_handler.rb:14")
	eventNamed(t, failed, "exception") // and the line itself is a span event
	require.Equal(t, 1, retry.Links().Len(), "attempt_count 1 announces the second attempt")
	assert.Equal(t, failed.SpanID(), retry.Links().At(0).SpanID())
	assert.Equal(t, "2026-01-10T10:00:05.101Z", retry.StartTimestamp().AsTime().Format(time.RFC3339Nano), "the execution_starting line that announced it")
	assert.Equal(t, "2026-01-10T10:00:05.84Z", retry.EndTimestamp().AsTime().Format(time.RFC3339Nano), "first terminal line")
	assert.Equal(t, int64(1), sumOf(out.metrics, "tasker.step.retries"))
	assert.Equal(t, int64(2), sumOf(out.metrics, "tasker.step.outcomes"))
}

// TestLogsExceptionInLaterCall: when the "Exception occurred" line comes in a later
// call than the "Step failed" that ended the span, its log record still carries the
// failed attempt's span id, and it becomes a span event of the open task span.
func TestLogsExceptionInLaterCall(t *testing.T) {
	tokens := splitEntries(t, string(readFixture(t, "tasker/failure_retry.log")))
	b := testBuilder(t, nil)
	first := b.buildLines(tokens[:8], logAttrs) // up to the handler's "Step failed"
	second := b.buildLines(tokens[8:9], logAttrs)
	spans := spansByName(first.traces)["charge_card"]
	require.Len(t, spans, 1)
	lr := second.logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	assert.Equal(t, "Exception occurred: Payments::CardDeclined", lr.Body().Str())
	assert.Equal(t, spans[0].SpanID(), lr.SpanID())
	assert.Equal(t, 0, second.traces.SpanCount())
	task := b.table.get(spanKey{dep: "production", task: "43"})
	require.NotNil(t, task)
	last := task.events[len(task.events)-1] // after the lines before the attempt began
	assert.Equal(t, "exception", last.name)
	v, _ := spanEventAttrs(b, &last).Get("exception.type")
	assert.Equal(t, "Payments::CardDeclined", v.Str())
}
