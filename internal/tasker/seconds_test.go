// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package tasker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Durations in seconds keep the number Tasker wrote: no time.Duration round trip.
func TestParseEventSecondsAsWritten(t *testing.T) {
	require.NotEqual(t, 1.273, (1273 * time.Millisecond).Seconds(), "the round trip this avoids: 1.2730000000000001")
	for _, tt := range []struct {
		in    string
		total bool
		want  float64
	}{
		{`"total_execution_duration":1.273`, true, 1.273},
		{`"total_execution_duration":"0.3"`, true, 0.3},
		{`"total_duration":3`, true, 3},
		{`"execution_duration":-8.1e-05`, false, -8.1e-05},
		{`"execution_duration":0.1`, false, 0.1},
		{`"execution_duration":2.675`, false, 2.675},
	} {
		ev, err := ParseEvent([]byte(`{"event":"x.y",` + tt.in + `}`))
		require.NoError(t, err, tt.in)
		if tt.total {
			assert.True(t, ev.HasTotalDuration, tt.in)
			assert.Equal(t, tt.want, ev.TotalSeconds, tt.in)
		} else {
			assert.True(t, ev.HasExecutionDuration, tt.in)
			assert.Equal(t, tt.want, ev.ExecutionSeconds, tt.in)
		}
	}
}
