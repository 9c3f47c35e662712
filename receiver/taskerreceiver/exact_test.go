// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The log record's duration attributes are the numbers Tasker sent (1.273, not
// 1.2730000000000001 from a time.Duration round trip).
func TestDurationAttributesExact(t *testing.T) {
	b := testBuilder(t, nil)
	out := b.build(parseBody(t, []byte(`{"event":"task.completed","task_id":9,"task_name":"t","total_execution_duration":1.273,"timestamp":"2026-01-10T12:00:03Z"}
{"event":"step.completed","task_id":9,"step_id":1,"step_name":"s","execution_duration":0.1,"timestamp":"2026-01-10T12:00:02Z"}`)), "", true)
	got := map[string]float64{}
	rls := out.logs.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				for _, key := range []string{"tasker.total_duration", "tasker.execution_duration"} {
					if v, ok := lrs.At(k).Attributes().Get(key); ok {
						got[key] = v.Double()
					}
				}
			}
		}
	}
	require.Len(t, got, 2)
	assert.Equal(t, 1.273, got["tasker.total_duration"])
	assert.Equal(t, 0.1, got["tasker.execution_duration"])
}
