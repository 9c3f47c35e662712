// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTimeChunk: formatted times are time.Format's, and the strings given earlier stay
// intact while later ones fill the chunk and the next ones.
func TestTimeChunk(t *testing.T) {
	var c strChunk
	loc := time.FixedZone("x", 5*3600+1800)
	var got, want []string
	for i := 0; i < 1000; i++ {
		tm := time.Date(2026, 1, 2, 3, 4, 5, i*1237, loc).Add(time.Duration(i) * time.Hour)
		got = append(got, c.format(tm))
		want = append(want, tm.UTC().Format(time.RFC3339Nano))
	}
	require.Equal(t, want, got)
	assert.Equal(t, "2026-01-01T21:34:05Z", c.format(time.Date(2026, 1, 2, 3, 4, 5, 0, loc)))
}
