// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package filewriter

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	"go.uber.org/zap"
)

// Framing says where the records of an append-mode file end, so that a torn last
// record (a crash or a full disk in the middle of a write) can be cut off when the
// file is opened, before anything is appended after it.
type Framing int

const (
	// FramingLines: a record is a line; complete when it ends with "\n" (NDJSON).
	FramingLines Framing = iota
	// FramingCSV: a record is an RFC 4180 row; complete when its quotes are balanced
	// and it ends with the line terminator ("\n" or "\r\n"), so a line break inside a
	// quoted cell does not end it.
	FramingCSV
	// FramingNone: records cannot be told apart (e.g. indented JSON documents); the
	// file is appended to as it is.
	FramingNone
)

// Hooks are told about the Output's failures, for the exporter's own telemetry.
type Hooks struct {
	// WriteFailed is called once per failed Write.
	WriteFailed func()
	// TornRepaired is called when a torn last record of cut bytes was cut off a file.
	TornRepaired func(cut int64)
}

// SetFraming sets how records end (default FramingLines). Call before Start.
func (o *Output) SetFraming(f Framing) { o.framing = f }

// SetHooks sets the failure hooks. Call before Start.
func (o *Output) SetHooks(h Hooks) { o.hooks = h }

// tailChunk is how much of the end of a file is read at a time to find the last
// line break.
const tailChunk = 64 << 10

// repairTail cuts the torn last record off the uncompressed file f (opened for
// appending, size bytes) and returns the new size. The cut is counted, logged and
// reported to Hooks.TornRepaired.
func (o *Output) repairTail(f *os.File, path string, size int64, framing Framing) (int64, error) {
	var end int64
	var err error
	switch framing {
	case FramingNone:
		return size, nil
	case FramingCSV:
		end, err = lastCSVRecordEnd(path, size)
	default:
		end, err = lastLineEnd(path, size)
	}
	if err != nil {
		return 0, fmt.Errorf("checking the last record of %s: %w", path, err)
	}
	if end == size {
		return size, nil
	}
	if err := f.Truncate(end); err != nil {
		return 0, fmt.Errorf("cutting the torn last record off %s: %w", path, err)
	}
	o.tornRepairs.Add(1)
	o.logger.Warn("Cut a torn last record off a tasker output file before appending",
		zap.String("path", path), zap.Int64("bytes", size-end), zap.Int64("size", end),
		zap.Int64("repairs", o.tornRepairs.Load()))
	if o.hooks.TornRepaired != nil {
		o.hooks.TornRepaired(size - end)
	}
	return end, nil
}

// lastLineEnd returns the offset just after the last "\n" in the first size bytes of
// the file (0 when there is none).
func lastLineEnd(path string, size int64) (int64, error) {
	r, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	buf := make([]byte, tailChunk)
	for hi := size; hi > 0; {
		lo := max(hi-tailChunk, 0)
		b := buf[:hi-lo]
		if _, err := r.ReadAt(b, lo); err != nil && err != io.EOF {
			return 0, err
		}
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			return lo + int64(i) + 1, nil
		}
		hi = lo
	}
	return 0, nil
}

// lastCSVRecordEnd returns the offset just after the last line terminator of the
// first size bytes of the file that is outside quotes (0 when there is none). Quote
// state depends on everything before, so the file is read from the start; a quote
// doubled inside a quoted cell toggles the state twice, which RFC 4180 relies on.
func lastCSVRecordEnd(path string, size int64) (int64, error) {
	r, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	buf := make([]byte, 1<<20)
	var off, end int64
	quoted := false
	for off < size {
		n, err := r.Read(buf[:min(int64(len(buf)), size-off)])
		for i, c := range buf[:n] {
			switch {
			case c == '"':
				quoted = !quoted
			case c == '\n' && !quoted:
				end = off + int64(i) + 1
			}
		}
		off += int64(n)
		if err == io.EOF || (err == nil && n == 0) {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	return end, nil
}

// recover repairs the file after a failed write, flush or fsync so the next write
// starts at a Write boundary. Only the failed Write's bytes can be in the file beyond
// failAt (every earlier Write was handed to the OS before it returned), and that Write
// returned an error, so it will be retried: an uncompressed file is cut back to
// failAt. When the cut itself fails the stream stays broken and every Write fails
// (and is retried) until it succeeds: nothing is appended after a partial record. A
// compressed file, whose member/frame is now incomplete, is moved aside like a
// rotation (when moveAside) so that the stream stays valid.
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
		if fi.Size() > s.failAt {
			if err := os.Truncate(s.path, s.failAt); err != nil {
				s.broken = true
				return fmt.Errorf("cutting the partly written export off %s: %w", s.path, err)
			}
			o.logger.Info("Cut the partly written export off a tasker output file; it is retried",
				zap.String("path", s.path), zap.Int64("bytes", fi.Size()-s.failAt))
		}
		return nil
	}
	if moveAside && fi.Size() > 0 {
		o.logger.Warn("A write to a compressed tasker output file failed; moving it aside", zap.String("path", s.path))
		return s.moveAside(o, time.Now())
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
