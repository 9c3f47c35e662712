// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

const (
	fallocKeepSize  = 0x01 // FALLOC_FL_KEEP_SIZE
	fallocPunchHole = 0x02 // FALLOC_FL_PUNCH_HOLE
)

// releaseWritten punches a hole over everything written so far in every file under dir:
// the file keeps its size and every writer its offset, but the written pages leave the
// page cache (they are freed and reused by the next writes) instead of piling up.
func releaseWritten(b *testing.B, dir string) {
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || !info.Mode().IsRegular() || info.Size() == 0 {
			return err
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		return syscall.Fallocate(int(f.Fd()), fallocKeepSize|fallocPunchHole, 0, info.Size())
	})
	must(b, err)
}
