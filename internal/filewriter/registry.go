// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package filewriter

import (
	"io/fs"
	"sync"
	"time"
)

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
