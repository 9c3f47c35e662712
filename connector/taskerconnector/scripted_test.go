// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerconnector

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// scriptedRuns is the workflow of clients/ruby/test/workflow.rb (TaskerWorkflow#script):
// n tasks of three steps; every fifth fails for good (retry_limit 1, only two steps
// run), every seventh fails retry-eligible, stays pending, and completes in a second run
// after an outside reset. The same workflow is sent as raw events by the forwarder's
// end-to-end test, so docs/TASKER.md can compare what each way in counts.
func scriptedRuns(n int) []taskScript {
	var runs []taskScript
	for i := 0; i < n; i++ {
		id := 1 + i
		steps := []stepScript{{id: id*10 + 1, name: "validate"}, {id: id*10 + 2, name: "charge"}, {id: id*10 + 3, name: "notify"}}
		for j := range steps {
			steps[j].work = time.Duration(10*(j+1)) * time.Millisecond
		}
		switch {
		case i%5 == 4:
			steps[1].fail, steps[1].errMsg, steps[1].limit = true, "card declined", 1
			runs = append(runs, taskScript{id: id, name: "order_fulfillment", end: "failed", steps: steps[:2]})
		case i%7 == 6:
			failing := append([]stepScript(nil), steps...)
			failing[2].fail, failing[2].errMsg = true, "503 from mailer"
			retry := steps[2]
			retry.attempt = 2
			runs = append(runs, taskScript{id: id, name: "order_fulfillment", end: "pending", steps: failing},
				taskScript{id: id, name: "order_fulfillment", end: "completed", steps: []stepScript{retry}})
		default:
			runs = append(runs, taskScript{id: id, name: "order_fulfillment", end: "completed", steps: steps})
		}
	}
	return runs
}

// TestScriptedWorkflow: the 20-task workflow's spans, exported in batches of 64 spans
// (attempts straddle batches), give exactly one outcome per attempt and per task.
func TestScriptedWorkflow(t *testing.T) {
	s := newSubscriber(DefaultServiceName, t0)
	spans := 0
	var batches []ptrace.Traces
	for _, run := range scriptedRuns(20) {
		s.runTask(&run, true)
	}
	batches = s.export(64, "OpenTelemetry::Instrumentation::ActiveJob")
	for _, b := range batches {
		spans += b.SpanCount()
	}
	md, td := runConnector(t, createDefaultConfig(), batches, false)
	got := map[string]int64{}
	for k, v := range outcomeCounts(md) {
		kind, outcome := k[:4], k[len(k)-len("completed"):]
		if outcome != "completed" {
			outcome = "failed"
		}
		got[kind+"/"+outcome] += v
	}
	assert.Equal(t, map[string]int64{"step/completed": 52, "step/failed": 6, "task/completed": 16, "task/failed": 4}, got)
	_, td = runConnector(t, createDefaultConfig(), batches, true)
	require.Positive(t, td.SpanCount())
	t.Logf("Tasker exported %d spans in %d batches; the connector counted 58 attempts and 20 task outcomes and forwarded %d spans", spans, len(batches), td.SpanCount())
}
