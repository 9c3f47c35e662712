// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package filewriter

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
)

// testConfig is an append-mode config writing to path, flushing after every Write.
func testConfig(path string, mod ...func(*Config)) Config {
	c := NewDefaultConfig(path)
	c.FlushInterval = 0
	c.Instance = "inst"
	for _, m := range mod {
		m(&c)
	}
	return c
}

// newStarted returns a started Output that is shut down at the end of the test.
func newStarted(t testing.TB, cfg Config, signal, ext string) *Output {
	t.Helper()
	o, err := NewOutput(cfg, signal, ext, zaptest.NewLogger(t))
	require.NoError(t, err)
	require.NoError(t, o.Start())
	t.Cleanup(func() { _ = o.Shutdown() })
	return o
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

// names lists the entry names of dir, sorted.
func names(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

// backupsOldestFirst returns the rotated files of the stream at path, oldest first.
func backupsOldestFirst(t testing.TB, path string) []string {
	t.Helper()
	bks, err := listBackups(path)
	require.NoError(t, err)
	out := make([]string, len(bks))
	for i, b := range bks {
		out[len(bks)-1-i] = b.name
	}
	return out
}

// decode decompresses a whole file (all gzip members / zstd frames).
func decode(t testing.TB, path string) string {
	t.Helper()
	s, err := tryDecode(path)
	require.NoError(t, err)
	return s
}

// tryDecode decompresses what it can of path; the error is from the decoder.
func tryDecode(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var r io.Reader
	switch filepath.Ext(path) {
	case ".gz":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return "", err
		}
		r = zr
	case ".zst":
		zr, err := zstd.NewReader(bytes.NewReader(b))
		if err != nil {
			return "", err
		}
		defer zr.Close()
		r = zr
	default:
		return string(b), nil
	}
	var out bytes.Buffer
	_, err = io.Copy(&out, r)
	return out.String(), err
}

// batch returns n lines tagged with tag, each about 200 bytes.
func batch(tag string, n int) []byte {
	var b []byte
	for i := 0; i < n; i++ {
		b = append(b, `{"timestamp":1700000000000,"name":"tasker.step.duration","tag":"`...)
		b = append(b, tag...)
		b = append(b, `","line":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `,"value":123.456,"attributes":{"service.name":"billing","host":"node-1","pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}`...)
		b = append(b, '\n')
	}
	return b
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t testing.TB, timeout time.Duration, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
