// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package filewriter

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/otelcol-tasker/internal/testfs"
)

func TestAppendWritesAndFlushesEachWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out", "{signal}.json")
	o := newStarted(t, testConfig(path), "logs", "json")
	file := filepath.Join(filepath.Dir(path), "logs.json")
	require.FileExists(t, file, "Start opens the file")
	require.NoError(t, o.Write("", nil, []byte("{\"a\":1}\n")))
	assert.Equal(t, "{\"a\":1}\n", readFile(t, file), "FlushInterval 0: visible right after Write")
	require.NoError(t, o.Write("ignored-without-group_by", nil, []byte("{\"a\":2}\n")))
	assert.Equal(t, "{\"a\":1}\n{\"a\":2}\n", readFile(t, file))
	assert.Nil(t, o.Header(""))
	st := o.Stats()
	assert.Equal(t, int64(2), st.Writes)
	assert.Equal(t, int64(16), st.Bytes)
	assert.Equal(t, int64(1), st.FilesCreated)
	assert.Equal(t, 1, st.OpenFiles)
	require.NoError(t, o.Shutdown())
	assert.Equal(t, 0, o.Stats().OpenFiles)
}

func TestWriteReachesTheFileWhateverFlushInterval(t *testing.T) {
	file := filepath.Join(t.TempDir(), "m.json")
	o := newStarted(t, testConfig(file, func(c *Config) { c.FlushInterval = time.Hour }), "metrics", "json")
	require.NoError(t, o.Write("", nil, []byte("first\n")))
	assert.Equal(t, "first\n", readFile(t, file), "a Write that returned is in the file, not in a buffer")
	require.NoError(t, o.Write("", nil, []byte("second\n")))
	require.NoError(t, o.Flush())
	assert.Equal(t, "first\nsecond\n", readFile(t, file))
}

func TestPeriodicFsync(t *testing.T) {
	file := filepath.Join(t.TempDir(), "m.json")
	o := newStarted(t, testConfig(file, func(c *Config) { c.FlushInterval = 20 * time.Millisecond; c.Fsync = true }), "metrics", "json")
	require.NoError(t, o.Write("", nil, []byte("x\n")))
	assert.Equal(t, "x\n", readFile(t, file))
	s := o.handles[""].s
	eventually(t, 3*time.Second, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return !s.unsynced
	}, "the fsync loop did not run")
}

func TestShutdownFlushesAndIsIdempotent(t *testing.T) {
	file := filepath.Join(t.TempDir(), "m.json")
	o, err := NewOutput(testConfig(file, func(c *Config) { c.FlushInterval = time.Hour }), "metrics", "json", nil)
	require.NoError(t, err)
	require.NoError(t, o.Shutdown(), "Shutdown without Start")
	require.NoError(t, o.Shutdown())
	require.Error(t, o.Write("", nil, []byte("x\n")), "Write after Shutdown")

	o, err = NewOutput(testConfig(file, func(c *Config) { c.FlushInterval = time.Hour }), "metrics", "json", nil)
	require.NoError(t, err)
	require.NoError(t, o.Start())
	require.NoError(t, o.Write("", nil, []byte("x\n")))
	assert.Equal(t, "x\n", readFile(t, file))
	require.NoError(t, o.Shutdown())
	assert.Equal(t, "x\n", readFile(t, file))
	require.NoError(t, o.Shutdown())
	require.ErrorIs(t, o.Write("", nil, []byte("y\n")), errShutdown)
	assert.Equal(t, "x\n", readFile(t, file))
}

func TestStartFailsBelowRegularFile(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "regular")
	writeFile(t, regular, "x")
	for _, tc := range []struct {
		name string
		mod  func(*Config)
	}{
		{"append create_directory", func(c *Config) {}},
		{"append no create_directory", func(c *Config) { c.CreateDirectory = false }},
		{"per_export", func(c *Config) { c.Mode = ModePerExport; c.Path = filepath.Join(regular, "dir") }},
		{"per_export no create_directory", func(c *Config) {
			c.Mode = ModePerExport
			c.Path = filepath.Join(regular, "dir")
			c.CreateDirectory = false
		}},
		{"group_by", func(c *Config) {
			c.Path = filepath.Join(regular, "{group}.json")
			c.GroupBy = &GroupByConfig{ResourceAttribute: "a"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(filepath.Join(regular, "x.json"), tc.mod)
			o, err := NewOutput(cfg, "metrics", "json", nil)
			require.NoError(t, err)
			err = o.Start()
			require.Error(t, err)
			assert.Contains(t, err.Error(), fmt.Sprintf("tasker output %q", o.path))
			assert.Contains(t, err.Error(), "not a directory")
			require.NoError(t, o.Shutdown())
		})
	}
}

func TestStartCreatesDirectories(t *testing.T) {
	dir := t.TempDir()
	newStarted(t, testConfig(filepath.Join(dir, "a", "b", "m.json")), "metrics", "json")
	assert.FileExists(t, filepath.Join(dir, "a", "b", "m.json"))
	newStarted(t, testConfig(filepath.Join(dir, "pe", "{signal}"), func(c *Config) { c.Mode = ModePerExport }), "logs", "json")
	assert.DirExists(t, filepath.Join(dir, "pe", "logs"))
	assert.Empty(t, names(t, filepath.Join(dir, "pe", "logs")), "the check file is removed")
	newStarted(t, testConfig(filepath.Join(dir, "g", "{group}", "m.json"), func(c *Config) {
		c.GroupBy = &GroupByConfig{ResourceAttribute: "a"}
	}), "metrics", "json")
	assert.DirExists(t, filepath.Join(dir, "g"))
	assert.Empty(t, names(t, filepath.Join(dir, "g")))

	o, err := NewOutput(testConfig(filepath.Join(dir, "missing", "m.json"), func(c *Config) { c.CreateDirectory = false }), "metrics", "json", nil)
	require.NoError(t, err)
	err = o.Start()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no such file or directory")
	require.NoError(t, o.Shutdown())
}

func TestConcurrentWriters(t *testing.T) {
	for _, comp := range []Compression{CompressionNone, CompressionGzip, CompressionZstd} {
		t.Run(string(comp), func(t *testing.T) {
			dir := t.TempDir()
			cfg := testConfig(filepath.Join(dir, "m.json"), func(c *Config) {
				c.Compression = comp
				c.FlushInterval = 10 * time.Millisecond
				c.Rotation = &RotationConfig{MaxMegabytes: 1}
			})
			o := newStarted(t, cfg, "metrics", "json")
			const writers, writes = 8, 40
			var wg sync.WaitGroup
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < writes; i++ {
						if err := o.Write("", nil, batch(fmt.Sprintf("w%d-%d", w, i), 20)); err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			require.NoError(t, o.Shutdown())
			var all string
			for _, f := range append(backupsOldestFirst(t, o.path), o.path) {
				all += decode(t, f)
			}
			for w := 0; w < writers; w++ {
				for i := 0; i < writes; i++ {
					b := string(batch(fmt.Sprintf("w%d-%d", w, i), 20))
					assert.Equal(t, 1, strings.Count(all, b), "batch w%d-%d intact exactly once", w, i)
				}
			}
			assert.Equal(t, writers*writes*20, strings.Count(all, "\n"))
		})
	}
}

func TestSharedStreamForSamePath(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(filepath.Join(dir, "all.json"), func(c *Config) { c.FlushInterval = 20 * time.Millisecond })
	m := newStarted(t, cfg, "metrics", "json")
	l := newStarted(t, cfg, "logs", "json")
	require.Same(t, m.handles[""].s, l.handles[""].s, "one stream for one file")
	var wg sync.WaitGroup
	for k, o := range []*Output{m, l, m, l} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if err := o.Write("", nil, batch(fmt.Sprintf("%d-%d", k, i), 50)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	require.NoError(t, m.Shutdown())
	require.NoError(t, l.Write("", nil, []byte("after\n")), "the other Output still writes")
	key := filepath.Join(dir, "all.json")
	reg.mu.Lock()
	_, open := reg.streams[key]
	reg.mu.Unlock()
	assert.True(t, open)
	require.NoError(t, l.Shutdown())
	reg.mu.Lock()
	_, open = reg.streams[key]
	reg.mu.Unlock()
	assert.False(t, open, "closed with the last Output")
	all := readFile(t, key)
	for k := 0; k < 4; k++ {
		for i := 0; i < 50; i++ {
			b := string(batch(fmt.Sprintf("%d-%d", k, i), 50))
			assert.Equal(t, 1, strings.Count(all, b), "batches never interleave")
		}
	}
	assert.Equal(t, 4*50*50+1, strings.Count(all, "\n"))
	assert.True(t, strings.HasSuffix(all, "after\n"))
}

func TestWriteRecoversAfterFailure(t *testing.T) {
	file := filepath.Join(t.TempDir(), "m.json")
	o := newStarted(t, testConfig(file), "metrics", "json")
	require.NoError(t, o.Write("", nil, []byte("a\n")))
	s := o.handles[""].s
	s.mu.Lock()
	require.NoError(t, s.f.Close()) // the descriptor breaks under the writer
	s.mu.Unlock()
	require.Error(t, o.Write("", nil, []byte("b\n")))
	require.NoError(t, o.Write("", nil, []byte("b\n")), "retry on a re-opened file")
	require.NoError(t, o.Write("", nil, []byte("c\n")))
	assert.Equal(t, "a\nb\nc\n", readFile(t, file))
	assert.Equal(t, int64(3), o.Stats().Writes)
}

func TestWriteRecoveryTruncatesPartialWrite(t *testing.T) {
	file := filepath.Join(t.TempDir(), "m.json")
	o := newStarted(t, testConfig(file), "metrics", "json")
	require.NoError(t, o.Write("", nil, []byte("a\n")))
	s := o.handles[""].s
	s.mu.Lock()
	// Simulate a write that failed after part of it reached the file.
	require.NoError(t, os.WriteFile(file, []byte("a\npartial"), 0o644))
	s.broken, s.failAt = true, 2
	s.mu.Unlock()
	// While the cut itself fails, nothing is appended after the partial write.
	testfs.Immutable(t, file, true)
	require.Error(t, o.Write("", nil, []byte("b\n")))
	require.Error(t, o.Write("", nil, []byte("b\n")))
	assert.Equal(t, "a\npartial", readFile(t, file))
	testfs.Immutable(t, file, false)
	require.NoError(t, o.Write("", nil, []byte("b\n")))
	assert.Equal(t, "a\nb\n", readFile(t, file))
}

func TestCompressedWriteFailureMovesFileAside(t *testing.T) {
	dir := t.TempDir()
	o := newStarted(t, testConfig(filepath.Join(dir, "m.json"), func(c *Config) { c.Compression = CompressionGzip }), "metrics", "json")
	require.NoError(t, o.Write("", nil, []byte("a\n")))
	s := o.handles[""].s
	s.mu.Lock()
	require.NoError(t, s.f.Close())
	s.mu.Unlock()
	require.Error(t, o.Write("", nil, []byte("b\n")))
	require.NoError(t, o.Write("", nil, []byte("b\n")))
	require.NoError(t, o.Shutdown())
	assert.Equal(t, "b\n", decode(t, o.path), "the new file is valid")
	bks := backupsOldestFirst(t, o.path)
	require.Len(t, bks, 1)
	got, _ := tryDecode(bks[0])
	assert.Equal(t, "a\n", got, "the damaged file keeps what was flushed")
	assert.Equal(t, int64(1), o.Stats().Rotations)
}

func TestStdout(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "stdout"))
	require.NoError(t, err)
	saved := os.Stdout
	os.Stdout = f
	defer func() { os.Stdout = saved }()

	cfg := testConfig(Stdout, func(c *Config) { c.FlushInterval = time.Hour })
	a := newStarted(t, cfg, "metrics", "csv")
	b := newStarted(t, cfg, "logs", "csv")
	require.NoError(t, a.Write("", []byte("h1\n"), []byte("1\n")))
	require.NoError(t, b.Write("", []byte("h1\n"), []byte("2\n")))
	require.Same(t, a.handles[""].s, b.handles[""].s)
	require.NoError(t, a.Write("", []byte("h2\n"), []byte("3\n")))
	assert.Equal(t, []byte("h2\n"), a.Header(""))
	require.NoError(t, a.Shutdown())
	require.NoError(t, b.Shutdown())
	require.NoError(t, b.Shutdown())
	_, err = f.WriteString("still open\n")
	require.NoError(t, err, "stdout is not closed")
	require.NoError(t, f.Close())
	assert.Equal(t, "h1\n1\n2\nh2\n3\nstill open\n", readFile(t, f.Name()))
	assert.Equal(t, int64(0), a.Stats().Rotations)
	assert.Equal(t, int64(10), a.Stats().Bytes)
}
