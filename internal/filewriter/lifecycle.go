// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package filewriter

import (
	"errors"
	"fmt"
)

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
