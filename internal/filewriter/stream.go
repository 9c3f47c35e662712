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

// registry holds the streams of every Output in the process by absolute path (or
// "-" for stdout), so Outputs that resolve to the same file share one stream and
// their writes are serialized. Lock order: Output.mu, registry.mu, stream.mu,
// registry.memoMu.
type registry struct {
	mu      sync.Mutex
	streams map[string]*stream

	memoMu sync.Mutex
	memos  map[string]memo
}

// memo remembers the header of a file this process closed (LRU eviction, shutdown),
// so that re-opening it, compressed or not, needs no guess about its header.
type memo struct {
	header []byte
	size   int64
	mod    time.Time
}

var reg = &registry{streams: make(map[string]*stream), memos: make(map[string]memo)}

// acquire returns the stream for key with one more reference, creating it with mk.
func (r *registry) acquire(key string, mk func() *stream) *stream {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.streams[key]
	if s == nil {
		s = mk()
		r.streams[key] = s
	}
	s.refs++
	return s
}

// release drops one reference: the last one flushes and closes the stream, others
// flush it.
func (r *registry) release(s *stream, o *Output) error {
	r.mu.Lock()
	s.refs--
	if s.refs > 0 {
		r.mu.Unlock()
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.flush(o.fsync)
	}
	defer r.mu.Unlock()
	if r.streams[s.key] == s {
		delete(r.streams, s.key)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dead = true
	return s.close(o)
}

func (r *registry) remember(key string, m memo) {
	r.memoMu.Lock()
	defer r.memoMu.Unlock()
	if _, ok := r.memos[key]; !ok && len(r.memos) >= maxMemos {
		for k := range r.memos {
			delete(r.memos, k)
			break
		}
	}
	r.memos[key] = m
}

// recall returns (and forgets) the remembered header of key when the file is
// unchanged since this process closed it.
func (r *registry) recall(key string, fi fs.FileInfo) ([]byte, bool) {
	r.memoMu.Lock()
	defer r.memoMu.Unlock()
	m, ok := r.memos[key]
	if !ok {
		return nil, false
	}
	delete(r.memos, key)
	if m.size != fi.Size() || !m.mod.Equal(fi.ModTime()) {
		return nil, false
	}
	return m.header, true
}

// stream is one append-mode file (or stdout): the open file, its buffer and
// compressor, its size and header. Everything below mu is guarded by it.
type stream struct {
	key    string      // registry key
	path   string      // absolute path; "-" for stdout
	stdout bool        // writes go to os.Stdout, which is never closed
	comp   Compression // none, gzip or zstd
	mkdir  bool        // create the missing parent directory when opening

	refs int // guarded by registry.mu

	mu      sync.Mutex
	dead    bool          // closed by the last release; writes fail
	f       *os.File      // nil when closed (and for stdout)
	special bool          // not a regular file (a device, a FIFO): never rotated
	bw      *bufio.Writer // nil when closed
	cw      compressor    // current gzip member / zstd frame; nil until data is written
	cnt     countingWriter
	size    int64  // bytes in the file: on disk before opening + written (compressed) since
	base    int64  // size when the file was opened or started
	raw     int64  // uncompressed bytes given to cw since base
	flushed int64  // size at the last complete flush (a Write boundary on disk)
	failAt  int64  // size before the write that failed
	dirty   bool   // written since the last flush
	empty   bool   // the file has no content
	header  []byte // header of the file (see headerOK)
	// headerOK: header is known to be the file's header (written by this process or
	// checked). Otherwise the file was left by an earlier run and header is its first
	// line (uncompressed) or nil (compressed).
	headerOK bool
	broken   bool // a write or flush failed: re-open (and repair) before the next write
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
	s.f = f
	s.special = !fi.Mode().IsRegular()
	size := fi.Size()
	if s.special {
		size = 0
	}
	s.size, s.base, s.flushed, s.raw = size, size, size, 0
	s.dirty = false
	s.empty = size == 0
	s.header, s.headerOK = nil, true
	h, known := reg.recall(s.key, fi)
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
	if o.flushEach {
		return s.flush(o.fsync)
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

// flush pushes buffered data to the file (and fsyncs).
func (s *stream) flush(fsync bool) error {
	if s.dead || s.broken || !s.dirty || s.bw == nil {
		return nil
	}
	if s.cw != nil {
		if err := s.cw.Flush(); err != nil {
			return s.fail(s.size, err)
		}
	}
	if err := s.bw.Flush(); err != nil {
		return s.fail(s.size, err)
	}
	s.dirty = false
	s.flushed = s.size
	if fsync && s.f != nil {
		return s.f.Sync()
	}
	return nil
}

// finish completes the compressed member/frame, flushes and closes the file.
// It keeps the header state; the caller decides what comes next.
func (s *stream) finish(fsync bool) error {
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

// recover repairs the file after a failed write or flush so the next write starts
// at a Write boundary: an uncompressed file is truncated to the size before the
// failed write (or to the last complete flush when earlier buffered data was lost
// too); a compressed file, whose member/frame is now incomplete, is moved aside
// like a rotation (when moveAside) so that the stream stays valid.
func (s *stream) recover(o *Output, moveAside bool) error {
	s.discard()
	s.broken = false
	if s.stdout || s.special {
		return nil
	}
	fi, err := os.Stat(s.path)
	if err != nil {
		return nil // gone: the next open starts a new file
	}
	if s.comp == CompressionNone {
		target := s.flushed
		if fi.Size() >= s.failAt {
			target = s.failAt
		} else {
			o.logger.Warn("Buffered data of a tasker output file was lost", zap.String("path", s.path))
		}
		if fi.Size() > target {
			if err := os.Truncate(s.path, target); err != nil {
				o.logger.Warn("Cannot truncate a partly written tasker output file", zap.String("path", s.path), zap.Error(err))
			}
		}
		return nil
	}
	if moveAside && fi.Size() > 0 {
		o.logger.Warn("A write to a compressed tasker output file failed; moving it aside", zap.String("path", s.path))
		return s.moveAside(o, time.Now())
	}
	return nil
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

// readFirstLine returns the first line of the file at path including its line
// ending, reading at most headerProbeLimit bytes; a file shorter than that without a
// newline is one line. nil when unreadable or when the line is longer.
func readFirstLine(path string) []byte {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	buf := make([]byte, headerProbeLimit)
	n, err := io.ReadFull(f, buf)
	if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
		return bytes.Clone(buf[:i+1])
	}
	if n > 0 && err != nil { // the whole file, shorter than the limit
		return bytes.Clone(buf[:n])
	}
	return nil
}

// readPrefix returns up to n first bytes of the file at path.
func readPrefix(path string, n int) []byte {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	buf := make([]byte, n)
	m, _ := io.ReadFull(f, buf)
	return buf[:m]
}
