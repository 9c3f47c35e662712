// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestE2EHostileLogs runs the log-file part of the bad-input catalogue against the
// shipped config (which tails ./out/demo/*.log with checkpoints in file_storage): a
// 10 MB line, binary garbage, truncation, rotation and deletion. After each, the log
// records written equal the lines expected exactly, the line that follows the bad input
// arrives, and at the end the HTTP input still serves and the peak RSS is bounded.
func TestE2EHostileLogs(t *testing.T) {
	s := startShipped(t, "")
	demo := filepath.Join(s.dir, "out", "demo")
	log := filepath.Join(demo, "tasker.log")
	total := 0
	// step appends data and a marker line to path and waits for exactly want more
	// records, the marker's among them.
	step := func(name, path string, data []byte, want int) {
		t.Helper()
		line, marker := validEvent()
		f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		require.NoError(t, err)
		_, err = f.Write(append(append(data, line...), '\n'))
		require.NoError(t, err)
		require.NoError(t, f.Close())
		total += want
		waitForText(t, s.logsPath(), marker)
		eventually(t, 10*time.Second, func() error {
			if n := countJSONLines(s.logsPath()); n != total {
				return errorf("%s: %d log records, want %d", name, n, total)
			}
			return nil
		})
		t.Logf("%-22s → %d records (total %d)", name, want, total)
	}

	step("first lines", log, []byte("plain line\n"), 2)

	// A 10 MB line: the tail splits it at max_log_size (1 MiB) into 10 records (plain
	// text), then reads on.
	step("10 MB line", log, append(bytes.Repeat([]byte("x"), 10<<20), '\n'), 11)

	// 1 MiB of random bytes: one record per line the tail finds in it, written as valid
	// UTF-8 (invalid bytes replaced).
	garbage := make([]byte, 1<<20)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range garbage {
		garbage[i] = byte(rng.UintN(256))
	}
	step("binary garbage", log, append(garbage, '\n'), garbageRecords(garbage)+1)
	raw, err := os.ReadFile(s.logsPath())
	require.NoError(t, err)
	assert.True(t, utf8.Valid(raw), "the logs file is valid UTF-8")

	// copytruncate: the file is emptied and written again from the start.
	require.NoError(t, os.Truncate(log, 0))
	time.Sleep(300 * time.Millisecond) // a few polls see the file empty
	step("truncation", log, []byte("after truncate\n"), 2)

	// Rotation by rename: tasker.log.1 no longer matches the include pattern; the new
	// tasker.log is read from its start, and nothing of the old one is read again.
	require.NoError(t, os.Rename(log, log+".1"))
	step("rotation", log, []byte("after rotation\n"), 2)

	// Deletion, then another file.
	require.NoError(t, os.Remove(log))
	time.Sleep(300 * time.Millisecond)
	step("deletion, new file", filepath.Join(demo, "other.log"), nil, 1)

	time.Sleep(time.Second) // nothing more arrives: no line was read twice
	assert.Equal(t, total, countJSONLines(s.logsPath()))
	s.stillServing(t)
	s.assertRSS(t, "log-file catalogue")
}

// garbageRecords is the records the tail makes of random bytes: the lines that are not
// blank (the receiver skips blank lines).
func garbageRecords(b []byte) int {
	n := 0
	for _, l := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(l)) > 0 {
			n++
		}
	}
	return n
}
