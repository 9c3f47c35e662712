// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package filewriter

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCompressedReadableByStandardTools checks the files with the gzip and zstd
// command-line tools when they are installed.
func TestCompressedReadableByStandardTools(t *testing.T) {
	for _, tc := range []struct {
		comp Compression
		tool string
	}{{CompressionGzip, "gzip"}, {CompressionZstd, "zstd"}} {
		t.Run(tc.tool, func(t *testing.T) {
			tool, err := exec.LookPath(tc.tool)
			if err != nil {
				t.Skipf("%s not installed", tc.tool)
			}
			dir := t.TempDir()
			cfg := testConfig(filepath.Join(dir, "m.json"), func(c *Config) {
				c.Compression = tc.comp
				c.FlushInterval = time.Hour
			})
			o := newStarted(t, cfg, "metrics", "json")
			b1 := batch("one", 300)
			require.NoError(t, o.Write("", nil, b1))
			require.NoError(t, o.Flush())
			// The stream is not finished: the tool reports a truncated file but
			// decodes everything flushed.
			out, _ := exec.Command(tool, "-dc", o.path).Output()
			assert.Equal(t, string(b1), string(out), "readable after Flush")
			require.NoError(t, o.Shutdown())
			require.NoError(t, exec.Command(tool, "-t", o.path).Run(), "valid after Shutdown")

			o2 := newStarted(t, cfg, "metrics", "json")
			b2 := batch("two", 10)
			require.NoError(t, o2.Write("", nil, b2))
			require.NoError(t, o2.Shutdown())
			out, err = exec.Command(tool, "-dc", o.path).Output()
			require.NoError(t, err, "concatenated members/frames are valid")
			assert.Equal(t, string(b1)+string(b2), string(out))
		})
	}
}
