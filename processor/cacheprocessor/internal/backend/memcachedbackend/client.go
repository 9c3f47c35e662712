// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package memcachedbackend

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/tasker-systems/otelcol-tasker/internal/ctxsleep"
)

// conflict reports a lost race of a conditional write: the caller re-reads and retries.
func conflict(err error) bool {
	return errors.Is(err, memcache.ErrCASConflict) || errors.Is(err, memcache.ErrNotStored) || errors.Is(err, memcache.ErrCacheMiss)
}

// notSent reports errors after which the request certainly did not reach memcached.
func notSent(err error) bool {
	if conflict(err) || errors.Is(err, memcache.ErrMalformedKey) || errors.Is(err, memcache.ErrNoServers) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var cte *memcache.ConnectTimeoutError
	if errors.As(err, &cte) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// protocolError reports memcached's answers (as opposed to network failures).
func protocolError(err error) bool {
	return conflict(err) || errors.Is(err, memcache.ErrMalformedKey) || errors.Is(err, memcache.ErrServerError)
}

// resetPool drops the idle connections after a network error: after a memcached restart
// they are all dead, and each would fail one request.
func (b *Backend) resetPool(err error) {
	if err == nil || protocolError(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return
	}
	b.stats.poolResets.Add(1)
	_ = b.client.Close()
}

// read runs a read-only request, retried once on fresh connections after a network
// error (a pooled connection may be dead since a server restart).
func (b *Backend) read(ctx context.Context, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := fn()
	if err == nil || protocolError(err) {
		return err
	}
	b.resetPool(err)
	if cerr := ctx.Err(); cerr != nil {
		return errors.Join(err, cerr)
	}
	return fn()
}

func (b *Backend) get(ctx context.Context, key string) (*memcache.Item, error) {
	var it *memcache.Item
	err := b.read(ctx, func() error {
		var err error
		it, err = b.client.Get(key)
		return err
	})
	return it, err
}

// getMulti reads keys in chunks of getChunk, in parallel; absent keys are absent from
// the map.
func (b *Backend) getMulti(ctx context.Context, keys []string) (map[string]*memcache.Item, error) {
	if len(keys) <= getChunk {
		var m map[string]*memcache.Item
		err := b.read(ctx, func() error {
			var err error
			m, err = b.client.GetMulti(keys)
			return err
		})
		return m, err
	}
	chunks := (len(keys) + getChunk - 1) / getChunk
	parts := make([]map[string]*memcache.Item, chunks)
	err := b.forEach(ctx, chunks, func(ctx context.Context, _, i int) error {
		lo, hi := i*getChunk, min((i+1)*getChunk, len(keys))
		return b.read(ctx, func() error {
			var err error
			parts[i], err = b.client.GetMulti(keys[lo:hi])
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	m := make(map[string]*memcache.Item, len(keys))
	for _, p := range parts {
		maps.Copy(m, p)
	}
	return m, nil
}

// write runs a conditional write and drops the idle connections after a network error.
func (b *Backend) write(ctx context.Context, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := fn()
	b.resetPool(err)
	return err
}

// backoff sleeps before retry attempt (1-based): full jitter over 1ms·2^(attempt-1),
// capped at 50ms.
func (b *Backend) backoff(ctx context.Context, attempt int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.stats.casRetries.Add(1)
	ceil := min(time.Millisecond<<min(attempt-1, 10), 50*time.Millisecond)
	return ctxsleep.Sleep(ctx, rand.N(ceil)+time.Microsecond)
}

// casOrAdd writes mi: compare-and-swap on cur as read, or add when cur is nil (the key
// was absent).
func (b *Backend) casOrAdd(ctx context.Context, mi, cur *memcache.Item) error {
	return b.write(ctx, func() error {
		if cur != nil {
			mi.CasID = cur.CasID
			return b.client.CompareAndSwap(mi)
		}
		return b.client.Add(mi)
	})
}

// retryWait comes before compare-and-swap retry attempt (1-based) on key: the backoff, or
// an error (keyErr) once max_cas_retries races are lost or ctx is done.
func (b *Backend) retryWait(ctx context.Context, op, key string, attempt int) error {
	if attempt > b.cfg.MaxCASRetries {
		return keyErr(op, key, b.tooMany(attempt))
	}
	if err := b.backoff(ctx, attempt); err != nil {
		return keyErr(op, key, err)
	}
	return nil
}

var errTooManyConflicts = errors.New("too many CAS conflicts")

func (b *Backend) tooMany(attempt int) error {
	return fmt.Errorf("%w: lost %d compare-and-swap races in a row (max_cas_retries %d)", errTooManyConflicts, attempt, b.cfg.MaxCASRetries)
}

// forEach runs fn(i) for every i in [0, n) on up to max_idle_conns goroutines (w is the
// worker's number, for per-worker buffers). After the first error no new i starts; it
// returns that error.
func (b *Backend) forEach(ctx context.Context, n int, fn func(ctx context.Context, w, i int) error) error {
	workers := min(n, b.cfg.MaxIdleConns)
	if workers <= 1 {
		for i := range n {
			if err := fn(ctx, 0, i); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		next   atomic.Int64
		failed atomic.Bool
		once   sync.Once
		first  error
		wg     sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(ctx, w, i); err != nil {
					once.Do(func() { first = err })
					failed.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}
