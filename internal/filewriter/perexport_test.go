// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package filewriter

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var exportRx = regexp.MustCompile(`^metrics_export_inst_(\d{8}T\d{6}Z)_(\d{6,})\.json$`)

func perExportConfig(dir string, mod ...func(*Config)) Config {
	return testConfig(dir, append([]func(*Config){func(c *Config) { c.Mode = ModePerExport }}, mod...)...)
}

func TestPerExportNaming(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "{signal}")
	o := newStarted(t, perExportConfig(dir), "metrics", "json")
	before := time.Now().UTC().Truncate(time.Second)
	for i := 0; i < 3; i++ {
		require.NoError(t, o.Write("", nil, []byte(fmt.Sprintf("{\"i\":%d}\n", i))))
	}
	after := time.Now().UTC()
	out := filepath.Join(filepath.Dir(dir), "metrics")
	got := names(t, out)
	require.Len(t, got, 3)
	for i, n := range got {
		m := exportRx.FindStringSubmatch(n)
		require.NotNil(t, m, n)
		assert.Equal(t, fmt.Sprintf("%06d", i+1), m[2])
		ts, err := time.Parse("20060102T150405Z", m[1])
		require.NoError(t, err)
		assert.False(t, ts.Before(before) || ts.After(after), "UTC time of the write: %s", ts)
		assert.Equal(t, fmt.Sprintf("{\"i\":%d}\n", i), readFile(t, filepath.Join(out, n)))
	}
	st := o.Stats()
	assert.Equal(t, int64(3), st.FilesCreated)
	assert.Equal(t, 0, st.OpenFiles)
	assert.Nil(t, o.Header(""))
}

func TestPerExportDefaultsAndCompression(t *testing.T) {
	for _, comp := range []Compression{CompressionNone, CompressionGzip, CompressionZstd} {
		t.Run(string(comp), func(t *testing.T) {
			dir := t.TempDir()
			o := newStarted(t, perExportConfig(dir, func(c *Config) {
				c.Compression = comp
				c.Instance = ""
				c.Fsync = true
			}), "logs", "csv")
			require.NoError(t, o.Write("", []byte("a,b\n"), []byte("1,2\n")))
			got := names(t, dir)
			require.Len(t, got, 1)
			suffix := map[Compression]string{CompressionNone: "", CompressionGzip: `\.gz`, CompressionZstd: `\.zst`}[comp]
			assert.Regexp(t, `^logs_export_[A-Za-z0-9._-]+-`+strconv.Itoa(os.Getpid())+`_\d{8}T\d{6}Z_000001\.csv`+suffix+`$`, got[0])
			assert.Equal(t, "a,b\n1,2\n", decode(t, filepath.Join(dir, got[0])), "header then data, complete")
		})
	}
}

func TestPerExportSkipsExistingNames(t *testing.T) {
	dir := t.TempDir()
	o := newStarted(t, perExportConfig(dir), "metrics", "json")
	// Occupy the names of sequence numbers 1 and 2 for this second and the next.
	now := time.Now().UTC()
	for _, ts := range []time.Time{now, now.Add(time.Second)} {
		for seq := uint64(1); seq <= 2; seq++ {
			writeFile(t, filepath.Join(dir, o.exportName(ts, seq)), "taken")
		}
	}
	require.NoError(t, o.Write("", nil, []byte("new\n")))
	var fresh []string
	for _, n := range names(t, dir) {
		if readFile(t, filepath.Join(dir, n)) == "new\n" {
			fresh = append(fresh, n)
		} else {
			assert.Equal(t, "taken", readFile(t, filepath.Join(dir, n)), "existing file untouched")
		}
	}
	require.Len(t, fresh, 1)
	assert.Equal(t, "000003", exportRx.FindStringSubmatch(fresh[0])[2])
}

func TestPerExportAtomic(t *testing.T) {
	dir := t.TempDir()
	o := newStarted(t, perExportConfig(dir), "metrics", "json")
	const n = 200
	content := func(seq int) string {
		return strings.Repeat(fmt.Sprintf("{\"export\":%d,\"pad\":\"%s\"}\n", seq, strings.Repeat("p", 100)), 500+seq)
	}
	var stop atomic.Bool
	var seen, checked atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Error(err)
				return
			}
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), ".") {
					continue // temp files may be partial
				}
				m := exportRx.FindStringSubmatch(e.Name())
				if m == nil {
					t.Errorf("unexpected file %s", e.Name())
					continue
				}
				seq, _ := strconv.Atoi(m[2])
				b, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err != nil {
					t.Error(err)
					continue
				}
				if string(b) != content(seq) {
					t.Errorf("%s is incomplete: %d bytes, want %d", e.Name(), len(b), len(content(seq)))
				}
				checked.Add(1)
			}
			seen.Add(1)
		}
	}()
	for i := 1; i <= n; i++ {
		require.NoError(t, o.Write("", nil, []byte(content(i))))
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("%d directory listings, %d files checked", seen.Load(), checked.Load())
	assert.Positive(t, checked.Load())
	got := names(t, dir)
	require.Len(t, got, n, "no temp file left")
	for _, name := range got {
		require.Regexp(t, exportRx, name)
	}
}

func TestPerExportConcurrent(t *testing.T) {
	dir := t.TempDir()
	o := newStarted(t, perExportConfig(dir), "metrics", "json")
	// A second Output with the same names competes for the same sequence numbers.
	o2 := newStarted(t, perExportConfig(dir), "metrics", "json")
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := o
			if w%2 == 1 {
				out = o2
			}
			for i := 0; i < 25; i++ {
				if err := out.Write("", nil, []byte(fmt.Sprintf("w%d-%d\n", w, i))); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	got := names(t, dir)
	require.Len(t, got, 200, "no file replaced another")
	seen := map[string]bool{}
	for _, n := range got {
		seen[readFile(t, filepath.Join(dir, n))] = true
	}
	assert.Len(t, seen, 200)
}

func TestPerExportRemovesTempOnFailure(t *testing.T) {
	dir := t.TempDir()
	o := newStarted(t, perExportConfig(dir, func(c *Config) { c.Compression = CompressionGzip }), "metrics", "json")
	var tmpSeen string
	o.beforePublish = func(tmp string) error {
		tmpSeen = tmp
		assert.FileExists(t, tmp)
		assert.Regexp(t, `^\.metrics_export_inst_\d{8}T\d{6}Z_\d{6}\.json\.gz\.tmp$`, filepath.Base(tmp))
		return errors.New("disk on fire")
	}
	err := o.Write("", nil, []byte("x\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "disk on fire")
	assert.NotEmpty(t, tmpSeen)
	assert.Empty(t, names(t, dir), "temp file removed, nothing published")
	assert.Equal(t, int64(0), o.Stats().Writes)

	o.beforePublish = nil
	require.NoError(t, o.Write("", nil, []byte("x\n")), "retry")
	got := names(t, dir)
	require.Len(t, got, 1)
	assert.Equal(t, "x\n", decode(t, filepath.Join(dir, got[0])))

	// The directory became a regular file: the write fails and leaves nothing.
	require.NoError(t, os.RemoveAll(dir))
	writeFile(t, dir, "")
	require.Error(t, o.Write("", nil, []byte("y\n")))
}

func TestPerExportGroupBy(t *testing.T) {
	base := t.TempDir()
	o := newStarted(t, perExportConfig(filepath.Join(base, "{group}"), func(c *Config) {
		c.GroupBy = &GroupByConfig{ResourceAttribute: "service.name", MissingValue: "none"}
	}), "metrics", "json")
	require.NoError(t, o.Write("billing", nil, []byte("b\n")))
	require.NoError(t, o.Write("", nil, []byte("m\n")))
	require.NoError(t, o.Write("../escape", nil, []byte("e\n")))
	assert.Equal(t, []string{"_.._escape", "billing", "none"}, names(t, base))
	for dir, want := range map[string]string{"billing": "b\n", "none": "m\n", "_.._escape": "e\n"} {
		got := names(t, filepath.Join(base, dir))
		require.Len(t, got, 1)
		assert.Equal(t, want, readFile(t, filepath.Join(base, dir, got[0])))
	}
}
