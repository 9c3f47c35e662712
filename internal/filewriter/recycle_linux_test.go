// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package filewriter

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// resident counts the pages of path's [off, off+n) that are in the page cache.
func resident(t *testing.T, path string, off, n int64) int {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	m, err := unix.Mmap(int(f.Fd()), off, int(n), unix.PROT_READ, unix.MAP_SHARED)
	require.NoError(t, err)
	defer func() { require.NoError(t, unix.Munmap(m)) }()
	vec := make([]byte, (n+int64(os.Getpagesize())-1)/int64(os.Getpagesize()))
	if _, _, errno := syscall.Syscall(syscall.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatalf("mincore: %v", errno)
	}
	c := 0
	for _, v := range vec {
		c += int(v & 1)
	}
	return c
}

// TestPageRecycler: a window's pages leave the page cache once the next window is
// full (here its writeback is forced first, so that they are clean), the last one
// stays, and a file cut back starts over.
func TestPageRecycler(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.ndjson")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for i := range chunk {
		chunk[i] = 'a' + byte(i%26)
	}
	var r pageRecycler
	var size int64
	for range 3 * recycleWindow / len(chunk) {
		n, err := f.Write(chunk)
		require.NoError(t, err)
		size += int64(n)
		require.NoError(t, unix.Fdatasync(int(f.Fd())))
		r.wrote(int(f.Fd()), size)
	}
	pages := int64(recycleWindow / os.Getpagesize())
	require.Equal(t, pageRecycler{started: 3 * recycleWindow, dropped: 2 * recycleWindow}, r, "a window is dropped once the next one is full")
	require.Zero(t, resident(t, path, 0, 2*recycleWindow), "the first two windows' pages are dropped")
	require.EqualValues(t, pages, resident(t, path, 2*recycleWindow, recycleWindow), "the last window stays cached")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Len(t, b, 3*recycleWindow)
	require.Equal(t, chunk, b[:len(chunk)], "dropped pages read back from disk")

	r.wrote(int(f.Fd()), 10) // cut back
	require.Equal(t, pageRecycler{started: 10, dropped: 10}, r)
}
