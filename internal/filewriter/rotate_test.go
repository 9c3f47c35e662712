// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package filewriter

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var backupRx = regexp.MustCompile(`^metrics-\d{8}T\d{6}\.\d{3}Z(-\d+)?\.csv$`)

func TestRotationBySize(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "metrics.csv")
	o := newStarted(t, testConfig(file, func(c *Config) { c.Rotation = &RotationConfig{MaxMegabytes: 1} }), "metrics", "csv")
	header := []byte("a,b\n")
	var batches [][]byte
	for i := 0; i < 10; i++ {
		b := bytes.Repeat([]byte(fmt.Sprintf("%d,%d\n", i, i)), 300*1024/4) // 300 KiB
		require.Len(t, b, 300*1024)
		batches = append(batches, b)
		require.NoError(t, o.Write("", header, b))
	}
	// 4 + 3×300 KiB fit in 1 MiB, a 4th batch does not: files hold batches 0-2, 3-5, 6-8, 9.
	all := names(t, dir)
	require.Len(t, all, 4, "%v", all)
	bks := backupsOldestFirst(t, file)
	require.Len(t, bks, 3)
	files := append(bks, file)
	for i, f := range files {
		if f != file {
			assert.Regexp(t, backupRx, filepath.Base(f))
		}
		want := string(header)
		for j := 3 * i; j < min(3*i+3, 10); j++ {
			want += string(batches[j])
		}
		got := readFile(t, f)
		assert.True(t, got == want, "file %d (%s) has %d bytes, want %d", i, f, len(got), len(want))
		assert.LessOrEqual(t, len(got), 1<<20)
	}
	st := o.Stats()
	assert.Equal(t, int64(3), st.Rotations)
	assert.Equal(t, int64(4), st.FilesCreated)
	assert.Equal(t, int64(10*(300*1024+4)), st.Bytes)
}

func TestRotationLargeWrite(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "metrics.csv")
	o := newStarted(t, testConfig(file, func(c *Config) { c.Rotation = &RotationConfig{MaxMegabytes: 1} }), "metrics", "csv")
	big := bytes.Repeat([]byte("z"), 2<<20)
	require.NoError(t, o.Write("", nil, big), "an empty file accepts any write")
	assert.Len(t, readFile(t, file), 2<<20)
	assert.Equal(t, int64(0), o.Stats().Rotations)
	require.NoError(t, o.Write("", nil, []byte("small\n")))
	assert.Equal(t, "small\n", readFile(t, file))
	require.NoError(t, o.Write("", nil, big), "a write larger than the limit to a non-empty file rotates first")
	assert.Len(t, readFile(t, file), 2<<20)
	bks := backupsOldestFirst(t, file)
	require.Len(t, bks, 2)
	assert.Len(t, readFile(t, bks[0]), 2<<20)
	assert.Equal(t, "small\n", readFile(t, bks[1]))
}

func TestRotationMaxBackups(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "metrics.csv")
	o := newStarted(t, testConfig(file, func(c *Config) {
		c.Rotation = &RotationConfig{MaxMegabytes: 1, MaxBackups: 2}
	}), "metrics", "csv")
	chunk := func(i int) []byte { return bytes.Repeat([]byte{byte('a' + i)}, 700*1024) }
	for i := 0; i < 6; i++ { // every write after the first rotates
		require.NoError(t, o.Write("", nil, chunk(i)))
	}
	assert.Equal(t, int64(5), o.Stats().Rotations)
	bks := backupsOldestFirst(t, file)
	require.Len(t, bks, 2, "%v", names(t, dir))
	assert.Equal(t, string(chunk(3)), readFile(t, bks[0]), "the newest backups are kept")
	assert.Equal(t, string(chunk(4)), readFile(t, bks[1]))
	assert.Equal(t, string(chunk(5)), readFile(t, file))
	assert.Len(t, names(t, dir), 3)
}

func TestRotationMaxDays(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "metrics.csv")
	recent := "metrics-" + time.Now().Add(-time.Hour).UTC().Format(backupTimeLayout) + "Z.csv"
	old := []string{
		"metrics-20200101T000000.000Z.csv",
		"metrics-20200101T000000.000Z-1.csv",
		"metrics-20200101T000000.000.csv", // local time
	}
	unparsable := "metrics-20201399T000000.000Z.csv" // month 13: judged by mtime
	unrelated := []string{"metrics-other.csv", "metrics-20200101T000000.000Z.json", "other-20200101T000000.000Z.csv"}
	for _, n := range append(append(append([]string{recent, unparsable}, old...), unrelated...), "metrics.csv") {
		writeFile(t, filepath.Join(dir, n), n+"\n")
	}
	past := time.Now().Add(-30 * 24 * time.Hour)
	require.NoError(t, os.Chtimes(filepath.Join(dir, unparsable), past, past))

	o := newStarted(t, testConfig(file, func(c *Config) { c.Rotation = &RotationConfig{MaxDays: 7} }), "metrics", "csv")
	require.NoError(t, o.Write("", []byte("h\n"), []byte("1\n")), "different header: rotates and prunes")
	got := names(t, dir)
	for _, n := range append(old, unparsable) {
		assert.NotContains(t, got, n)
	}
	for _, n := range append(unrelated, recent, "metrics.csv") {
		assert.Contains(t, got, n)
	}
	bks := backupsOldestFirst(t, file)
	require.Len(t, bks, 2)
	assert.Equal(t, filepath.Join(dir, recent), bks[0])
	assert.Equal(t, "metrics.csv\n", readFile(t, bks[1]), "the file just rotated")
	assert.Equal(t, "h\n1\n", readFile(t, file))
}

func TestRotationLocalTimeName(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "metrics.csv.gz")
	o := newStarted(t, testConfig(filepath.Join(dir, "metrics.csv"), func(c *Config) {
		c.Compression = CompressionGzip
		c.Rotation = &RotationConfig{LocalTime: true}
	}), "metrics", "csv")
	require.NoError(t, o.Write("", []byte("a\n"), []byte("1\n")))
	require.NoError(t, o.Write("", []byte("b\n"), []byte("2\n")))
	bks := backupsOldestFirst(t, file)
	require.Len(t, bks, 1)
	assert.Regexp(t, `^metrics-\d{8}T\d{6}\.\d{3}\.csv\.gz$`, filepath.Base(bks[0]))
	assert.Equal(t, "a\n1\n", decode(t, bks[0]))
	require.NoError(t, o.Shutdown())
	assert.Equal(t, "b\n2\n", decode(t, file))
}

func TestBackupNameAvoidsCollisions(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 23, 1, 40, 0, 123e6, time.UTC)
	p := filepath.Join(dir, "metrics.csv.gz")
	n0 := backupName(p, now, false)
	assert.Equal(t, filepath.Join(dir, "metrics-20261123T014000.123Z.csv.gz"), n0)
	writeFile(t, n0, "")
	n1 := backupName(p, now, false)
	assert.Equal(t, filepath.Join(dir, "metrics-20261123T014000.123Z-1.csv.gz"), n1)
	writeFile(t, n1, "")
	assert.Equal(t, filepath.Join(dir, "metrics-20261123T014000.123Z-2.csv.gz"), backupName(p, now, false))
	for in, want := range map[string][2]string{
		"metrics.csv":      {"metrics", ".csv"},
		"metrics.json.zst": {"metrics", ".json.zst"},
		"a.b.json":         {"a.b", ".json"},
		"noext":            {"noext", ""},
		".gz":              {".gz", ""},
		".hidden":          {".hidden", ""},
	} {
		stem, ext := splitExt(in)
		assert.Equal(t, want, [2]string{stem, ext}, in)
	}
}

func TestHeaderChangeRotates(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "metrics.csv")
	o := newStarted(t, testConfig(file), "metrics", "csv")
	h1, h2 := []byte("a,b\n"), []byte("a,b,c\n")
	require.NoError(t, o.Write("", h1, []byte("1,2\n")))
	require.NoError(t, o.Write("", h1, []byte("3,4\n")))
	assert.Equal(t, "a,b\n1,2\n3,4\n", readFile(t, file), "header written once")
	assert.Equal(t, h1, o.Header(""))
	require.NoError(t, o.Write("", h2, []byte("5,6,7\n")))
	assert.Equal(t, "a,b,c\n5,6,7\n", readFile(t, file), "new header at the top of the new file")
	assert.Equal(t, h2, o.Header(""))
	bks := backupsOldestFirst(t, file)
	require.Len(t, bks, 1)
	assert.Regexp(t, backupRx, filepath.Base(bks[0]))
	assert.Equal(t, "a,b\n1,2\n3,4\n", readFile(t, bks[0]), "old file intact")
	st := o.Stats()
	assert.Equal(t, int64(1), st.Rotations)
	assert.Equal(t, int64(2), st.FilesCreated)
}

func TestPreexistingSameHeaderAppends(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "metrics.csv")
	writeFile(t, file, "a,b\n1,2\n")
	o := newStarted(t, testConfig(file), "metrics", "csv")
	assert.Equal(t, []byte("a,b\n"), o.Header(""), "first line of the file left by an earlier run")
	require.NoError(t, o.Write("", []byte("a,b\n"), []byte("3,4\n")))
	assert.Equal(t, "a,b\n1,2\n3,4\n", readFile(t, file), "no duplicate header")
	assert.Equal(t, []string{"metrics.csv"}, names(t, dir))
	assert.Equal(t, int64(0), o.Stats().Rotations)
	assert.Equal(t, int64(0), o.Stats().FilesCreated)
}

func TestPreexistingDifferentHeaderRotates(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "metrics.csv")
	writeFile(t, file, "x,y\n1,2\n")
	o := newStarted(t, testConfig(file), "metrics", "csv")
	require.NoError(t, o.Write("", []byte("a,b\n"), []byte("3,4\n")))
	assert.Equal(t, "a,b\n3,4\n", readFile(t, file))
	bks := backupsOldestFirst(t, file)
	require.Len(t, bks, 1)
	assert.Equal(t, "x,y\n1,2\n", readFile(t, bks[0]))
	assert.Equal(t, int64(1), o.Stats().Rotations)

	// Only the first len(header) bytes are compared.
	file2 := filepath.Join(dir, "p.csv")
	writeFile(t, file2, "a,bc\n1,2\n")
	o3 := newStarted(t, testConfig(file2), "metrics", "csv")
	require.NoError(t, o3.Write("", []byte("a,b"), []byte("\n9,9\n")))
	assert.Equal(t, "a,bc\n1,2\n\n9,9\n", readFile(t, file2), "the header is compared with the first bytes")
}

func TestHeaderOfPreexistingFile(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]struct {
		content string
		want    []byte
	}{
		"crlf.csv":    {"a,b\r\n1,2\r\n", []byte("a,b\r\n")},
		"nonl.csv":    {"a,b", nil}, // a torn header: cut off, the file is empty
		"empty.csv":   {"", nil},
		"long.csv":    {strings.Repeat("x", 70<<10) + "\n", nil},
		"missing.csv": {"-", nil},
	}
	for name, tc := range cases {
		file := filepath.Join(dir, name)
		if tc.content != "-" {
			writeFile(t, file, tc.content)
		}
		o, err := NewOutput(testConfig(file), "metrics", "csv", nil)
		require.NoError(t, err)
		assert.Equal(t, tc.want, o.Header(""), name)
		require.NoError(t, o.Shutdown())
	}
	// A compressed file written by this process.
	gz := filepath.Join(dir, "c.csv.gz")
	o := newStarted(t, testConfig(filepath.Join(dir, "c.csv"), func(c *Config) { c.Compression = CompressionGzip }), "metrics", "csv")
	require.NoError(t, o.Write("", []byte("h\n"), []byte("1\n")))
	assert.Equal(t, []byte("h\n"), o.Header(""))
	require.NoError(t, o.Shutdown())
	assert.Equal(t, "h\n1\n", decode(t, gz))
	// Re-opened by this process: the header it wrote is remembered, nothing rotates.
	o = newStarted(t, testConfig(filepath.Join(dir, "c.csv"), func(c *Config) { c.Compression = CompressionGzip }), "metrics", "csv")
	assert.Equal(t, []byte("h\n"), o.Header(""))
	require.NoError(t, o.Write("", []byte("h\n"), []byte("2\n")))
	require.NoError(t, o.Shutdown())
	assert.Equal(t, "h\n1\n2\n", decode(t, gz))
	assert.Equal(t, int64(0), o.Stats().Rotations)
}

func TestCompressionRoundTrip(t *testing.T) {
	for _, comp := range []Compression{CompressionGzip, CompressionZstd} {
		t.Run(string(comp), func(t *testing.T) {
			dir := t.TempDir()
			ext := map[Compression]string{CompressionGzip: ".gz", CompressionZstd: ".zst"}[comp]
			file := filepath.Join(dir, "logs.json"+ext)
			cfg := testConfig(filepath.Join(dir, "{signal}.json"), func(c *Config) {
				c.Compression = comp
				c.FlushInterval = time.Hour
			})
			o := newStarted(t, cfg, "logs", "json")
			b1 := batch("first", 1000)
			require.NoError(t, o.Write("", nil, b1))
			require.NoError(t, o.Flush())
			got, _ := tryDecode(file) // the member/frame is not finished yet
			assert.Equal(t, string(b1), got, "readable after Flush")
			b2 := batch("second", 10)
			require.NoError(t, o.Write("", nil, b2))
			require.NoError(t, o.Shutdown())
			assert.Equal(t, string(b1)+string(b2), decode(t, file), "complete after Shutdown")

			// A later run appends a new member/frame.
			o2 := newStarted(t, cfg, "logs", "json")
			b3 := batch("third", 500)
			require.NoError(t, o2.Write("", nil, b3))
			require.NoError(t, o2.Shutdown())
			assert.Equal(t, string(b1)+string(b2)+string(b3), decode(t, file))
			assert.Equal(t, []string{"logs.json" + ext}, names(t, dir))

			// FlushInterval 0: readable after every Write.
			cfg.FlushInterval = 0
			o3 := newStarted(t, cfg, "logs", "json")
			require.NoError(t, o3.Write("", nil, []byte("x\n")))
			got, _ = tryDecode(file)
			assert.Equal(t, string(b1)+string(b2)+string(b3)+"x\n", got)
			require.NoError(t, o3.Shutdown())
			assert.Equal(t, string(b1)+string(b2)+string(b3)+"x\n", decode(t, file))
		})
	}
}

func TestCompressedPreexistingWithHeaderRotates(t *testing.T) {
	for _, comp := range []Compression{CompressionGzip, CompressionZstd} {
		t.Run(string(comp), func(t *testing.T) {
			dir := t.TempDir()
			cfg := testConfig(filepath.Join(dir, "m.csv"), func(c *Config) { c.Compression = comp })
			o := newStarted(t, cfg, "metrics", "csv")
			require.NoError(t, o.Write("", []byte("a\n"), []byte("1\n")))
			require.NoError(t, o.Write("", []byte("a\n"), []byte("2\n")))
			require.NoError(t, o.Shutdown())
			file := o.path
			assert.Equal(t, "a\n1\n2\n", decode(t, file))

			// Forget what this process knows about the file: like a restart.
			reg.memoMu.Lock()
			delete(reg.memos, file)
			reg.memoMu.Unlock()
			o2 := newStarted(t, cfg, "metrics", "csv")
			assert.Nil(t, o2.Header(""), "a compressed file is not read")
			require.NoError(t, o2.Write("", []byte("a\n"), []byte("3\n")))
			require.NoError(t, o2.Shutdown())
			assert.Equal(t, "a\n3\n", decode(t, file))
			bks := backupsOldestFirst(t, file)
			require.Len(t, bks, 1)
			assert.Equal(t, "a\n1\n2\n", decode(t, bks[0]))
			assert.Equal(t, int64(1), o2.Stats().Rotations)
		})
	}
}
