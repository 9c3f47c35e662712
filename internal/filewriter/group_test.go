// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package filewriter

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSanitizeGroup(t *testing.T) {
	long := strings.Repeat("a", 300)
	long2 := strings.Repeat("a", 299) + "b"
	for in, want := range map[string]string{
		"billing":          "billing",
		"svc-1.v2_x":       "svc-1.v2_x",
		"../../etc/passwd": "_.._.._etc_passwd",
		"a/b":              "a_b",
		`a\b`:              "a_b",
		"..":               "_..",
		".":                "_.",
		"":                 "_",
		".hidden":          "_.hidden",
		"x\x00y":           "x_y",
		"café":             "caf__",
		"a b:c*?":          "a_b_c__",
	} {
		assert.Equal(t, want, SanitizeGroup(in), "%q", in)
	}
	s1, s2 := SanitizeGroup(long), SanitizeGroup(long2)
	assert.Len(t, s1, MaxGroupLen)
	assert.Len(t, s2, MaxGroupLen)
	assert.NotEqual(t, s1, s2, "distinct long values stay distinct")
	assert.Regexp(t, `^a{119}-[0-9a-f]{8}$`, s1)
	assert.Equal(t, s1, SanitizeGroup(long), "deterministic")
	assert.Equal(t, strings.Repeat("b", 128), SanitizeGroup(strings.Repeat("b", 128)))
	assert.Len(t, SanitizeGroup("."+strings.Repeat("b", 127)), MaxGroupLen)
}

func TestGroupByStaysInsideBase(t *testing.T) {
	values := []string{"../../etc/passwd", "a/b", "..", ".", "", "x\x00y", strings.Repeat("v", 300), "/abs/path", `..\..\win`}
	for i, tmpl := range []string{"{group}/m.json", "{group}.json", "svc-{group}.json", "{group}/{group}/m.json"} {
		t.Run(fmt.Sprint("template", i), func(t *testing.T) {
			root := t.TempDir()
			base := filepath.Join(root, "base")
			o := newStarted(t, testConfig(filepath.Join(base, tmpl), func(c *Config) {
				c.GroupBy = &GroupByConfig{ResourceAttribute: "service.name", MaxOpenFiles: 3}
			}), "metrics", "json")
			for _, v := range values {
				require.NoError(t, o.Write(v, nil, []byte(fmt.Sprintf("%q\n", v))))
			}
			require.NoError(t, o.Shutdown())
			assert.Equal(t, []string{"base"}, names(t, root), "nothing outside the base directory")
			var files []string
			require.NoError(t, filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
				require.NoError(t, err)
				if !d.IsDir() {
					rel, err := filepath.Rel(base, p)
					require.NoError(t, err)
					require.False(t, strings.HasPrefix(rel, ".."))
					files = append(files, p)
				}
				return nil
			}))
			assert.Len(t, files, len(values), "one file per value: %v", files)
			for _, v := range values {
				name := SanitizeGroup(v)
				if v == "" {
					name = DefaultMissingValue
				}
				p := filepath.Join(base, strings.ReplaceAll(tmpl, GroupPlaceholder, name))
				assert.Equal(t, fmt.Sprintf("%q\n", v), readFile(t, p))
			}
		})
	}
}

func TestGroupPathOutsideBaseIsRejected(t *testing.T) {
	root := t.TempDir()
	o := newStarted(t, testConfig(root+"/base/{group}/../../x.json", func(c *Config) {
		c.GroupBy = &GroupByConfig{ResourceAttribute: "service.name"}
	}), "metrics", "json")
	err := o.Write("svc", nil, []byte("x\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "outside")
	assert.NoFileExists(t, filepath.Join(root, "x.json"))
}

func TestGroupByMissingValue(t *testing.T) {
	base := t.TempDir()
	o := newStarted(t, testConfig(filepath.Join(base, "{group}.json"), func(c *Config) {
		c.GroupBy = &GroupByConfig{ResourceAttribute: "service.name", MaxOpenFiles: 2, MissingValue: "no service"}
	}), "metrics", "json")
	require.NoError(t, o.Write("", nil, []byte("1\n")))
	require.NoError(t, o.Write("no_service", nil, []byte("2\n")))
	assert.Equal(t, "1\n2\n", readFile(t, filepath.Join(base, "no_service.json")))
	assert.Equal(t, []string{"no_service.json"}, names(t, base))
}

func TestGroupByLRU(t *testing.T) {
	base := t.TempDir()
	o := newStarted(t, testConfig(filepath.Join(base, "{group}", "m.csv"), func(c *Config) {
		c.GroupBy = &GroupByConfig{ResourceAttribute: "service.name", MaxOpenFiles: 2}
		c.FlushInterval = time.Hour // data must survive eviction through flush on close
	}), "metrics", "csv")
	groups := []string{"g0", "g1", "g2", "g3", "g4"}
	want := map[string]string{}
	for round := 0; round < 4; round++ {
		for _, g := range groups {
			row := fmt.Sprintf("%s,%d\n", g, round)
			require.NoError(t, o.Write(g, []byte("group,round\n"), []byte(row)))
			want[g] += row
			assert.LessOrEqual(t, o.Stats().OpenFiles, 2)
		}
	}
	st := o.Stats()
	assert.Equal(t, int64(0), st.Rotations, "re-opened files keep their header")
	assert.Equal(t, int64(5), st.FilesCreated)
	assert.Equal(t, 2, st.OpenFiles)
	require.NoError(t, o.Shutdown())
	for _, g := range groups {
		assert.Equal(t, "group,round\n"+want[g], readFile(t, filepath.Join(base, g, "m.csv")))
	}
}

func TestGroupByLRUCompressed(t *testing.T) {
	for _, comp := range []Compression{CompressionGzip, CompressionZstd} {
		t.Run(string(comp), func(t *testing.T) {
			base := t.TempDir()
			o := newStarted(t, testConfig(filepath.Join(base, "{group}.csv"), func(c *Config) {
				c.GroupBy = &GroupByConfig{ResourceAttribute: "service.name", MaxOpenFiles: 1}
				c.Compression = comp
				c.FlushInterval = time.Hour
			}), "metrics", "csv")
			for round := 0; round < 3; round++ {
				for _, g := range []string{"a", "b"} {
					require.NoError(t, o.Write(g, []byte("h\n"), []byte(g+"\n")))
				}
			}
			require.NoError(t, o.Shutdown())
			assert.Equal(t, int64(0), o.Stats().Rotations, "a header written by this process is remembered")
			ext := o.compExt
			assert.Equal(t, "h\na\na\na\n", decode(t, filepath.Join(base, "a.csv"+ext)))
			assert.Equal(t, "h\nb\nb\nb\n", decode(t, filepath.Join(base, "b.csv"+ext)))
		})
	}
}

func TestGroupByConcurrentWithEviction(t *testing.T) {
	base := t.TempDir()
	o := newStarted(t, testConfig(filepath.Join(base, "{group}.json"), func(c *Config) {
		c.GroupBy = &GroupByConfig{ResourceAttribute: "service.name", MaxOpenFiles: 2}
		c.FlushInterval = 5 * time.Millisecond
	}), "metrics", "json")
	const writers, writes, groups = 8, 60, 5
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < writes; i++ {
				g := fmt.Sprintf("g%d", (w+i)%groups)
				if err := o.Write(g, nil, batch(fmt.Sprintf("%s-w%d-%d", g, w, i), 10)); err != nil {
					t.Error(err)
					return
				}
				if n := o.Stats().OpenFiles; n > writers+2 {
					t.Errorf("%d files open", n)
				}
			}
		}()
	}
	wg.Wait()
	require.NoError(t, o.Shutdown())
	for w := 0; w < writers; w++ {
		for i := 0; i < writes; i++ {
			g := fmt.Sprintf("g%d", (w+i)%groups)
			content := readFile(t, filepath.Join(base, g+".json"))
			assert.Equal(t, 1, strings.Count(content, string(batch(fmt.Sprintf("%s-w%d-%d", g, w, i), 10))))
		}
	}
}
