// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csvexporter

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A crash in the middle of a row (here inside a quoted cell, after a line break) left
// a torn record: the restarted exporter cuts it off before appending, so every row
// still has the header's columns and the file parses.
func TestTornRowRepairedAtRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	cfg := fileConfig(dir, nil)
	exp := startMetrics(t, cfg)
	require.NoError(t, exp.ConsumeMetrics(ctx, labeled("a", map[string]string{"task": "t1"})))
	require.NoError(t, exp.Shutdown(ctx))
	file := filepath.Join(dir, "metrics.csv")
	whole, err := os.ReadFile(file)
	require.NoError(t, err)
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.WriteString("2026-01-01T00:00:00Z,b,\"torn\ncell")
	require.NoError(t, err)
	require.NoError(t, f.Close())

	exp = startMetrics(t, cfg)
	require.NoError(t, exp.ConsumeMetrics(ctx, labeled("c", map[string]string{"task": "t2"})))
	require.NoError(t, exp.Shutdown(ctx))
	got, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, string(whole), string(got[:len(whole)]), "the complete rows are kept as they were")
	recs := readCSV(t, got, ',')
	require.Len(t, recs, 3, "header, a, c: the torn row is gone")
	for _, r := range recs {
		assert.Len(t, r, len(recs[0]))
	}
	assert.Equal(t, []string{"a", "c"}, []string{recs[1][1], recs[2][1]})
}
