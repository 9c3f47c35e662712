// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package filewriter

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.uber.org/zap"
)

const (
	// bufSize is the write buffer of every open file.
	bufSize = 256 << 10
	// headerProbeLimit bounds the first line read from a file left by an earlier run.
	headerProbeLimit = 64 << 10
	// maxMemos bounds the remembered headers of closed files.
	maxMemos = 4096
)

var bufPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, bufSize) }}

func getBuf(w io.Writer) *bufio.Writer {
	bw := bufPool.Get().(*bufio.Writer)
	bw.Reset(w)
	return bw
}

func putBuf(bw *bufio.Writer) {
	bw.Reset(io.Discard)
	bufPool.Put(bw)
}

// stream is one append-mode file (or stdout): the open file, its buffer and
// compressor, its size and header. Everything below mu is guarded by it.
type stream struct {
	key    string      // registry key
	path   string      // absolute path; "-" for stdout
	stdout bool        // writes go to os.Stdout, which is never closed
	comp   Compression // none, gzip or zstd
	mkdir  bool        // create the missing parent directory when opening
	// framing tells where the file's records end (torn-tail repair).
	framing Framing

	refs int // guarded by registry.mu

	mu      sync.Mutex
	dead    bool          // closed by the last release; writes fail
	f       *os.File      // nil when closed (and for stdout)
	special bool          // not a regular file (a device, a FIFO): never rotated
	bw      *bufio.Writer // nil when closed
	cw      compressor    // current gzip member / zstd frame; nil until data is written
	cnt     countingWriter
	size    int64 // bytes in the file: on disk before opening + written (compressed) since
	base    int64 // size when the file was opened or started
	raw     int64 // uncompressed bytes given to cw since base
	failAt  int64 // size before the write that failed: the file is cut back to it
	dirty   bool  // buffered data not yet handed to the file
	// unsynced: written since the last fsync.
	unsynced bool
	empty    bool   // the file has no content
	header   []byte // header of the file (see headerOK)
	// headerOK: header is known to be the file's header (written by this process or
	// checked). Otherwise the file was left by an earlier run and header is its first
	// line (uncompressed) or nil (compressed).
	headerOK bool
	broken   bool // a write or flush failed: re-open (and repair) before the next write
	pages    pageRecycler
}

// countingWriter adds the bytes a compressor emits to the stream size.
type countingWriter struct {
	w io.Writer
	n *int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	*c.n += int64(n)
	return n, err
}

// ensureOpen opens the file for appending (and repairs it after a failure).
func (s *stream) ensureOpen(o *Output) error {
	if s.broken {
		if err := s.recover(o, true); err != nil {
			return err
		}
	}
	if s.stdout {
		if s.bw == nil {
			s.bw = getBuf(os.Stdout)
			s.empty, s.header, s.headerOK = true, nil, true
		}
		return nil
	}
	if s.f != nil {
		return nil
	}
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil && s.mkdir && errors.Is(err, fs.ErrNotExist) {
		if mkErr := os.MkdirAll(filepath.Dir(s.path), 0o755); mkErr == nil {
			f, err = os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		}
	}
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return err
	}
	s.special = !fi.Mode().IsRegular()
	size := fi.Size()
	if s.special {
		size = 0
	}
	h, known := reg.recall(s.key, fi)
	if !known && size > 0 && s.comp == CompressionNone {
		// Left by an earlier run (or changed since this process closed it): cut a torn
		// last record off before appending after it.
		if size, err = o.repairTail(f, s.path, size, s.framing); err != nil {
			_ = f.Close()
			return err
		}
	}
	s.f = f
	s.size, s.base, s.raw = size, size, 0
	s.pages.opened(size)
	s.dirty, s.unsynced = false, false
	s.empty = size == 0
	s.header, s.headerOK = nil, true
	if !s.empty {
		s.headerOK = known
		switch {
		case known:
			s.header = h
		case s.comp == CompressionNone:
			s.header = readFirstLine(s.path)
		}
	}
	s.bw = getBuf(f)
	return nil
}

// write writes one export: header rules, rotation, data, flush.
func (s *stream) write(o *Output, header, data []byte) error {
	if s.dead {
		return errShutdown
	}
	if err := s.ensureOpen(o); err != nil {
		return err
	}
	if header != nil && !s.empty && !s.headerMatches(header) {
		if err := s.rotate(o); err != nil {
			return err
		}
	}
	if o.maxBytes > 0 && !s.empty && !s.stdout && !s.special && s.projected(len(data)) > o.maxBytes {
		if err := s.rotate(o); err != nil {
			return err
		}
	}
	pre := s.size
	fresh := s.empty
	if fresh && header != nil {
		if err := s.put(header); err != nil {
			return s.fail(pre, err)
		}
	}
	if err := s.put(data); err != nil {
		return s.fail(pre, err)
	}
	if fresh && len(header)+len(data) > 0 {
		s.empty = false
		s.header = bytes.Clone(header)
		s.headerOK = true
		if !s.stdout && !s.special {
			o.filesCreated.Add(1)
		}
	}
	s.dirty = true
	// The export is acknowledged only when its bytes are handed to the OS: push the
	// buffer (one write(2) for most exports) before returning.
	if err := s.push(); err != nil {
		return s.fail(pre, err)
	}
	s.unsynced = true
	if s.f != nil && !s.special && (s.comp == CompressionNone || s.comp == "") {
		s.pages.wrote(int(s.f.Fd()), s.size)
	}
	if o.fsync && o.interval == 0 {
		if err := s.sync(); err != nil {
			return s.fail(pre, err)
		}
	}
	return nil
}

func (s *stream) put(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	if s.comp == CompressionNone || s.comp == "" {
		n, err := s.bw.Write(p)
		s.size += int64(n)
		return err
	}
	if s.cw == nil {
		s.cnt = countingWriter{w: s.bw, n: &s.size}
		s.cw = getCompressor(s.comp, &s.cnt)
	}
	n, err := s.cw.Write(p)
	s.raw += int64(n)
	return err
}

func (s *stream) fail(pre int64, err error) error {
	s.broken = true
	s.failAt = pre
	return err
}

// headerMatches reports whether the current (non-empty) file starts with h.
func (s *stream) headerMatches(h []byte) bool {
	if s.headerOK {
		return bytes.Equal(s.header, h)
	}
	if s.comp != CompressionNone {
		// A compressed file left by an earlier run: cannot cheaply compare.
		return false
	}
	if bytes.Equal(readPrefix(s.path, len(h)), h) {
		s.header = bytes.Clone(h)
		s.headerOK = true
		return true
	}
	return false
}

// projected is the file size after writing n more bytes. For a compressed file the
// compressed size of the n bytes is estimated from the file's ratio so far.
func (s *stream) projected(n int) int64 {
	if s.comp == CompressionNone {
		return s.size + int64(n)
	}
	est := int64(n)
	if s.raw > 0 {
		est = int64(float64(n) * float64(s.size-s.base) / float64(s.raw))
	}
	return s.size + est
}

// push hands buffered data (and the compressor's pending output) to the file.
func (s *stream) push() error {
	if !s.dirty || s.bw == nil {
		return nil
	}
	if s.cw != nil {
		if err := s.cw.Flush(); err != nil {
			return err
		}
	}
	if err := s.bw.Flush(); err != nil {
		return err
	}
	s.dirty = false
	return nil
}

// sync fsyncs the file when it was written since the last fsync.
func (s *stream) sync() error {
	if s.f == nil || !s.unsynced {
		return nil
	}
	if err := s.f.Sync(); err != nil {
		return err
	}
	s.unsynced = false
	return nil
}

// flush pushes buffered data to the file (and fsyncs when fsync). Every Write already
// pushes its data, so this is the periodic fsync and the flush before a close. A
// failed periodic fsync is reported and tried again at the next flush; it does not
// undo Writes that were acknowledged.
func (s *stream) flush(fsync bool) error {
	if s.dead || s.broken || s.bw == nil {
		return nil
	}
	if err := s.push(); err != nil {
		return s.fail(s.size, err)
	}
	if fsync {
		return s.sync()
	}
	return nil
}

// drain completes the compressed member/frame (the compressor goes back to its pool
// when it closed cleanly) and flushes the buffered writer into the file.
func (s *stream) drain() error {
	var errs []error
	if s.cw != nil {
		if err := s.cw.Close(); err != nil {
			errs = append(errs, err)
		} else {
			putCompressor(s.comp, s.cw)
		}
		s.cw = nil
	}
	if s.bw != nil {
		if err := s.bw.Flush(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// finish completes the compressed member/frame, flushes and closes the file.
// It keeps the header state; the caller decides what comes next.
func (s *stream) finish(fsync bool) error {
	var errs []error
	if err := s.drain(); err != nil {
		errs = append(errs, err)
	}
	if s.bw != nil {
		putBuf(s.bw)
		s.bw = nil
	}
	if s.f != nil {
		if fsync && len(errs) == 0 {
			if err := s.f.Sync(); err != nil {
				errs = append(errs, err)
			}
		}
		if err := s.f.Close(); err != nil {
			errs = append(errs, err)
		}
		s.f = nil
	}
	s.dirty = false
	return errors.Join(errs...)
}

// close closes the stream for good (last release), remembering the header.
func (s *stream) close(o *Output) error {
	if s.broken {
		return s.recover(o, false)
	}
	var errs []error
	if err := s.drain(); err != nil {
		errs = append(errs, err)
	}
	var m *memo
	if len(errs) == 0 && s.f != nil && !s.special && s.headerOK && s.header != nil {
		// Everything is written, so size and mtime are final.
		if fi, err := s.f.Stat(); err == nil {
			m = &memo{header: s.header, size: fi.Size(), mod: fi.ModTime()}
		}
	}
	if err := s.finish(o.fsync); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 && m != nil {
		reg.remember(s.key, *m)
	}
	return errors.Join(errs...)
}

// discard drops the writers without writing anything and closes the file.
func (s *stream) discard() {
	s.cw = nil // its state is unusable after a failure; let it be collected
	if s.bw != nil {
		putBuf(s.bw)
		s.bw = nil
	}
	if s.f != nil {
		_ = s.f.Close()
		s.f = nil
	}
	s.dirty = false
}

// rotate finishes the current file, renames it to a backup name, prunes old
// backups and opens a new file. For stdout and special files it only makes the
// next write start with the header again.
func (s *stream) rotate(o *Output) error {
	if s.stdout || s.special {
		s.empty, s.header, s.headerOK = true, nil, true
		return nil
	}
	if err := s.finish(o.fsync); err != nil {
		o.logger.Warn("Finishing a tasker output file before rotation failed", zap.String("path", s.path), zap.Error(err))
	}
	if err := s.moveAside(o, time.Now()); err != nil {
		return err
	}
	return s.ensureOpen(o)
}

// moveAside renames the (closed) file to its backup name and prunes backups.
func (s *stream) moveAside(o *Output, now time.Time) error {
	local := o.rotation != nil && o.rotation.LocalTime
	name := backupName(s.path, now, local)
	if err := os.Rename(s.path, name); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	o.rotations.Add(1)
	if r := o.rotation; r != nil && (r.MaxBackups > 0 || r.MaxDays > 0) {
		pruneBackups(s.path, r.MaxBackups, r.MaxDays, now, o.logger)
	}
	return nil
}
