// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package filewriter

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"
)

// Start creates the directory when CreateDirectory is set and checks that the output
// is writable (append: the file opens for appending; per_export: a temp file can be
// created and removed in the directory; group_by: the directory above {group}). An
// unwritable path fails with an error that names the path and the cause. It starts
// the periodic fsync when Fsync is set and FlushInterval > 0.
func (o *Output) Start() error {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return errors.New("tasker output: Start after Shutdown")
	}
	if o.started {
		o.mu.Unlock()
		return nil
	}
	o.started = true
	o.mu.Unlock()

	if !o.stdout {
		if err := o.checkWritable(); err != nil {
			return err
		}
	}
	if o.mode == ModeAppend && o.fsync && o.interval > 0 {
		o.mu.Lock()
		if !o.closed {
			o.stop = make(chan struct{})
			o.done = make(chan struct{})
			go o.flushLoop(o.stop, o.done)
		}
		o.mu.Unlock()
	}
	return nil
}

func (o *Output) checkWritable() error {
	var dir string
	switch {
	case o.grouped:
		dir = o.baseDir
	case o.mode == ModePerExport:
		dir = o.path
	default:
		dir = filepath.Dir(o.path)
	}
	if o.createDir {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("tasker output %q: %w", o.path, err)
		}
	}
	if o.grouped || o.mode == ModePerExport {
		f, err := os.CreateTemp(dir, ".tasker-write-check-*.tmp")
		if err != nil {
			return fmt.Errorf("tasker output %q: %w", o.path, err)
		}
		name := f.Name()
		cerr := f.Close()
		rerr := os.Remove(name)
		if err := errors.Join(cerr, rerr); err != nil {
			return fmt.Errorf("tasker output %q: %w", o.path, err)
		}
		return nil
	}
	h, err := o.acquire("")
	if err != nil {
		return err
	}
	defer h.pins.Add(-1)
	s := h.s
	s.mu.Lock()
	if s.dead {
		err = errShutdown
	} else {
		err = s.ensureOpen(o)
	}
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("tasker output %q: %w", o.path, err)
	}
	return nil
}

func (o *Output) flushLoop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(o.interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if err := o.Flush(); err != nil {
				o.logger.Warn("Periodic fsync of the tasker output failed; tried again at the next one", zap.String("path", o.path), zap.Error(err))
			}
		}
	}
}

// Flush flushes every open file (and fsyncs when Fsync).
func (o *Output) Flush() error {
	o.mu.Lock()
	if len(o.handles) == 0 {
		o.mu.Unlock()
		return nil
	}
	hs := make([]*handle, 0, len(o.handles))
	for _, h := range o.handles {
		h.pins.Add(1)
		hs = append(hs, h)
	}
	o.mu.Unlock()
	var errs []error
	for _, h := range hs {
		s := h.s
		s.mu.Lock()
		if err := s.flush(o.fsync); err != nil {
			errs = append(errs, fmt.Errorf("tasker output %q: %w", s.path, err))
		}
		s.mu.Unlock()
		h.pins.Add(-1)
	}
	return errors.Join(errs...)
}

// Shutdown stops the flush loop, flushes and closes every file. Safe to call
// without Start and more than once.
func (o *Output) Shutdown() error {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return nil
	}
	o.closed = true
	stop, done := o.stop, o.done
	o.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
	o.mu.Lock()
	hs := make([]*handle, 0, len(o.handles))
	for e := o.lru.Front(); e != nil; e = e.Next() {
		hs = append(hs, e.Value.(*handle))
	}
	for _, h := range hs {
		o.dropHandle(h)
	}
	o.mu.Unlock()
	var errs []error
	for _, h := range hs {
		if err := reg.release(h.s, o); err != nil {
			errs = append(errs, fmt.Errorf("tasker output %q: %w", h.s.path, err))
		}
	}
	return errors.Join(errs...)
}

// Stats are the totals an Output has written.
type Stats struct {
	Writes       int64 // successful Write calls
	Bytes        int64 // bytes handed to Write (uncompressed), headers included
	FilesCreated int64 // new files started (including rotations and per_export files)
	Rotations    int64 // append-mode rotations (size, age or header change)
	OpenFiles    int   // files open now
	Failures     int64 // failed Write calls (each returned an error; the data can be retried)
	TornRepairs  int64 // files whose torn last record was cut off when opened
}

// Stats returns a snapshot of the totals.
func (o *Output) Stats() Stats {
	return Stats{
		Writes:       o.writes.Load(),
		Bytes:        o.bytes.Load(),
		FilesCreated: o.filesCreated.Load(),
		Rotations:    o.rotations.Load(),
		OpenFiles:    int(o.openFiles.Load()),
		Failures:     o.failures.Load(),
		TornRepairs:  o.tornRepairs.Load(),
	}
}
