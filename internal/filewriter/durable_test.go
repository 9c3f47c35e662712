// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package filewriter

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/otelcol-tasker/internal/testfs"
)

// record is the i-th NDJSON test record, about 1 KiB.
func record(i int) []byte {
	return []byte(fmt.Sprintf("{\"i\":%d,\"pad\":%q}\n", i, strings.Repeat("x", 1000)))
}

// hookCounts counts what an Output reports to its Hooks.
type hookCounts struct{ failed, torn, cut int64 }

func (h *hookCounts) hooks() Hooks {
	return Hooks{WriteFailed: func() { h.failed++ }, TornRepaired: func(n int64) { h.torn++; h.cut += n }}
}

// A full disk: the Write that does not fit fails, the file keeps exactly the earlier
// Writes (none of the failed one's bytes), the failure is counted; once there is room
// the same data is written after them. Nothing acknowledged is lost or cut.
func TestDiskFullLosesNothing(t *testing.T) {
	dir := testfs.Tmpfs(t, 256<<10)
	file := filepath.Join(dir, "logs.json")
	o, err := NewOutput(testConfig(file, func(c *Config) { c.FlushInterval = time.Second }), "logs", "json", nil)
	require.NoError(t, err)
	var h hookCounts
	o.SetHooks(h.hooks())
	require.NoError(t, o.Start())
	t.Cleanup(func() { _ = o.Shutdown() })

	var want bytes.Buffer
	for i := range 3 {
		require.NoError(t, o.Write("", nil, record(i)))
		want.Write(record(i))
	}
	filler := testfs.Fill(t, dir, 2500) // room for two records and a bit
	i, failures := 3, 0
	for ; failures < 3 && i < 20; i++ {
		batch := bytes.Repeat(record(i), 2) // the failing Write is partly written
		if err := o.Write("", nil, batch); err != nil {
			failures++
			i-- // retried below with the same data
			assert.Equal(t, want.String(), readFile(t, file), "after a failed write the file holds exactly the acknowledged writes")
			continue
		}
		want.Write(batch)
	}
	require.Equal(t, 3, failures, "the disk never filled up")
	assert.Equal(t, int64(3), o.Stats().Failures)
	assert.Equal(t, int64(3), h.failed, "each failure reported to the hook")

	require.NoError(t, os.Remove(filler))
	batch := bytes.Repeat(record(i), 2)
	require.NoError(t, o.Write("", nil, batch), "the retry succeeds once there is room")
	want.Write(batch)
	assert.Equal(t, want.String(), readFile(t, file))
}

// An immutable file (chattr +i): writes fail and are counted while it lasts, then the
// same data is written; nothing is lost.
func TestUnwritableFileLosesNothing(t *testing.T) {
	file := filepath.Join(t.TempDir(), "logs.json")
	o := newStarted(t, testConfig(file), "logs", "json")
	require.NoError(t, o.Write("", nil, record(0)))
	testfs.Immutable(t, file, true)
	require.Error(t, o.Write("", nil, record(1)))
	require.Error(t, o.Write("", nil, record(1)))
	assert.Equal(t, string(record(0)), readFile(t, file))
	testfs.Immutable(t, file, false)
	require.NoError(t, o.Write("", nil, record(1)))
	assert.Equal(t, string(record(0))+string(record(1)), readFile(t, file))
	assert.Equal(t, int64(2), o.Stats().Failures)
}

func TestTornTailRepairedAtOpen(t *testing.T) {
	cases := []struct {
		name, ext string
		framing   Framing
		content   string
		kept      string // what is left before the new data
	}{
		{"ndjson complete", "json", FramingLines, "{\"a\":1}\n", "{\"a\":1}\n"},
		{"ndjson torn", "json", FramingLines, "{\"a\":1}\n{\"a\":", "{\"a\":1}\n"},
		{"ndjson only a torn line", "json", FramingLines, "{\"a\"", ""},
		{"ndjson long torn tail", "json", FramingLines, "{}\n" + strings.Repeat("x", 3*tailChunk), "{}\n"},
		{"csv complete", "csv", FramingCSV, "h1,h2\n1,\"x\ny\"\n", "h1,h2\n1,\"x\ny\"\n"},
		{"csv row without terminator", "csv", FramingCSV, "h1,h2\n1,2\n3,4", "h1,h2\n1,2\n"},
		{"csv torn inside quotes at a line break", "csv", FramingCSV, "h1,h2\n1,2\n3,\"a\n", "h1,h2\n1,2\n"},
		{"csv doubled quotes", "csv", FramingCSV, "h\n\"a\"\"\nb\"\n\"c\"\"", "h\n\"a\"\"\nb\"\n"},
		{"csv crlf torn after cr", "csv", FramingCSV, "h\r\n1\r\n2\r", "h\r\n1\r\n"},
		{"indented documents: left alone", "json", FramingNone, "{\n  \"a\": 1", "{\n  \"a\": 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "m."+tc.ext)
			writeFile(t, file, tc.content)
			o, err := NewOutput(testConfig(file), "metrics", tc.ext, nil)
			require.NoError(t, err)
			var h hookCounts
			o.SetFraming(tc.framing)
			o.SetHooks(h.hooks())
			require.NoError(t, o.Start())
			defer o.Shutdown()
			var header []byte
			if tc.ext == "csv" && tc.kept != "" {
				header, _, _ = bytes.Cut([]byte(tc.kept), []byte("\n"))
				header = append(header, '\n')
			}
			require.NoError(t, o.Write("", header, []byte("new\n")))
			assert.Equal(t, tc.kept+"new\n", readFile(t, file))
			cut := int64(len(tc.content) - len(tc.kept))
			assert.Equal(t, cut, h.cut, "bytes cut")
			if cut > 0 {
				assert.Equal(t, int64(1), o.Stats().TornRepairs)
				assert.Equal(t, int64(1), h.torn)
			} else {
				assert.Zero(t, o.Stats().TornRepairs)
			}
		})
	}
}
