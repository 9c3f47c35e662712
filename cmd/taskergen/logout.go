// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"time"

	"github.com/tasker-systems/otelcol-tasker/cmd/taskergen/internal/simulate"
)

// sink takes whole records: a rotation never splits one.
type sink interface {
	writeRecord(p []byte) error
	Flush() error
	Close() error
}

// streamSink writes to a stream (stdout) without rotation.
type streamSink struct{ w *bufio.Writer }

func (s *streamSink) writeRecord(p []byte) error { _, err := s.w.Write(p); return err }
func (s *streamSink) Flush() error               { return s.w.Flush() }
func (s *streamSink) Close() error               { return s.w.Flush() }

// rotatingFile is a log file that, when a record would take it past limit bytes, is
// renamed to PATH.1 (PATH.1 to PATH.2 ... up to keep files) and reopened empty, as
// logrotate's default (create) mode does. A record larger than limit gets a file of its
// own.
type rotatingFile struct {
	path      string
	f         *os.File
	w         *bufio.Writer
	size      int64
	limit     int64 // 0: never rotate
	keep      int
	rotations int
}

func openRotating(path string, limit int64, keep int) (*rotatingFile, error) {
	r := &rotatingFile{path: path, limit: limit, keep: max(keep, 1)}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *rotatingFile) open() error {
	f, err := os.OpenFile(r.path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	r.f, r.size = f, 0
	if r.w == nil {
		r.w = bufio.NewWriterSize(f, 64<<10)
	} else {
		r.w.Reset(f)
	}
	return nil
}

func (r *rotatingFile) writeRecord(p []byte) error {
	if r.limit > 0 && r.size > 0 && r.size+int64(len(p)) > r.limit {
		if err := r.rotate(); err != nil {
			return err
		}
	}
	n, err := r.w.Write(p)
	r.size += int64(n)
	return err
}

func (r *rotatingFile) rotate() error {
	if err := r.Close(); err != nil {
		return err
	}
	for k := r.keep - 1; k >= 1; k-- {
		from := r.path + "." + strconv.Itoa(k)
		if _, err := os.Stat(from); err == nil {
			if err := os.Rename(from, r.path+"."+strconv.Itoa(k+1)); err != nil {
				return err
			}
		}
	}
	if err := os.Rename(r.path, r.path+".1"); err != nil {
		return err
	}
	r.rotations++
	return r.open()
}

func (r *rotatingFile) Flush() error { return r.w.Flush() }

func (r *rotatingFile) Close() error {
	if r.f == nil {
		return nil
	}
	err := r.w.Flush()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	r.f = nil
	return err
}

// logOutput writes the log entries of the simulation and interleaves noise lines:
// the plainTotal noise lines are spread evenly over the `records` entries expected
// (noise line j goes before entry ⌈j·records/plainTotal⌉).
type logOutput struct {
	enc        *logEncoder
	out        sink
	plain      *plainLines
	plainTotal int
	records    int64

	entries   int // entries written (structured and plain, noise excluded)
	written   int // structured records
	taskPlain int // plain entries of Tasker and ActiveJob
	plainDone int // noise lines
	lines     int // physical lines
	dups      int
	byName    map[string]int
	last      time.Time
	buf       []byte
}

func newLogOutput(enc *logEncoder, out sink, seed uint64, plainTotal int, records int64) *logOutput {
	return &logOutput{enc: enc, out: out, plain: newPlainLines(seed), plainTotal: plainTotal, records: records,
		byName: map[string]int{}}
}

func (o *logOutput) event(it *simulate.Item) error {
	if it.Log == nil || severity(it.Log.Level) < o.enc.minLevel {
		return nil
	}
	for o.plainDone < o.plainTotal && int64(o.plainDone)*o.records <= int64(o.entries)*int64(o.plainTotal) {
		if err := o.writePlain(it.Time); err != nil {
			return err
		}
	}
	rec, _ := o.enc.encode(o.buf[:0], it)
	if err := o.out.writeRecord(rec); err != nil {
		return err
	}
	o.buf = rec
	o.entries++
	if it.Log.Plain {
		o.taskPlain++
	} else {
		o.written++
		o.byName[logName(it)]++
		if it.Log.Copy {
			o.dups++
		}
	}
	o.lines += bytes.Count(rec, []byte{'\n'})
	o.last = it.Time
	return nil
}

func (o *logOutput) writePlain(t time.Time) error {
	var b []byte
	if o.enc.prefix {
		b = appendPrefix(b, sevInfo, o.enc.stamps.stamp(t), o.enc.pid)
	}
	b = append(b, o.plain.next(t)...)
	b = append(b, '\n')
	o.plainDone++
	o.lines++
	return o.out.writeRecord(b)
}

// finish writes the plain lines still due and closes the sink.
func (o *logOutput) finish(end time.Time) error {
	if !o.last.IsZero() {
		end = o.last
	}
	for o.plainDone < o.plainTotal {
		if err := o.writePlain(end); err != nil {
			return err
		}
	}
	return o.out.Close()
}

// countRecords runs the simulation once more to count the entries an encoder would
// write, so that noise lines can be spread exactly.
func countRecords(opts simulate.Options, minLevel severity) (int64, error) {
	g, err := simulate.New(opts)
	if err != nil {
		return 0, err
	}
	var n int64
	for {
		ev, ok := g.Next()
		if !ok {
			return n, nil
		}
		if ev.Log != nil && severity(ev.Log.Level) >= minLevel {
			n++
		}
	}
}
