// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package filewriter

import "golang.org/x/sys/unix"

// recycleWindow is how far behind the end of a file its pages are handed back.
const recycleWindow = 8 << 20

// pageRecycler hands the page cache pages of what a file has written back to the kernel
// once they are on disk, so that the next writes reuse them. Without it every written
// page stays cached and each write takes a free page from the kernel; on a VM whose
// balloon reports free pages to the host, a page free for more than a couple of seconds
// costs a host page fault when it is next used (write(2) was 13-46% of the collector's
// CPU in bench/e2e.sh). Writeback of a window is started when it is full
// (sync_file_range, asynchronous); a window is dropped (POSIX_FADV_DONTNEED, clean pages
// only) when the one after it is full, by which time its writeback is done.
type pageRecycler struct {
	started int64 // writeback started up to here
	dropped int64 // pages dropped up to here
}

// opened starts over at a file's size when it is opened.
func (r *pageRecycler) opened(size int64) { *r = pageRecycler{started: size, dropped: size} }

// wrote is called with the file's size after a write.
func (r *pageRecycler) wrote(fd int, size int64) {
	if size < r.started || size < r.dropped {
		r.opened(size) // the file was cut back or replaced
		return
	}
	if size-r.started < recycleWindow {
		return
	}
	_ = unix.SyncFileRange(fd, r.started, size-r.started, unix.SYNC_FILE_RANGE_WRITE)
	if r.started > r.dropped {
		_ = unix.Fadvise(fd, r.dropped, r.started-r.dropped, unix.FADV_DONTNEED)
		r.dropped = r.started
	}
	r.started = size
}
