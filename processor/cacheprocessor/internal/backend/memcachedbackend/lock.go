// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package memcachedbackend

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// The export lock is one item, <prefix>:export_lock = "<owner>:<token>:<expiry Unix ns>".
// Its memcached expiration is ceil(ttl)+1 seconds: memcached's clock ticks in whole
// seconds, so an expiration of N may fire up to a second early; the extra second keeps
// the item at least until the exact expiry stored in the value, which is what decides
// whether the lock is held. A lock whose stored expiry passed is free: it is taken with
// a CAS on the value that was read, so of several replicas racing for it one wins.
// Everything that reads the stored expiry compares it with the local clock: replicas'
// clocks must agree to well within the lock's TTL.

type lease struct {
	b      *Backend
	key    string
	holder string // <owner>:<token>
	token  int64
}

func (l *lease) Token() int64 { return l.token }

func lockValue(holder string, expiry int64) []byte {
	return []byte(holder + ":" + strconv.FormatInt(expiry, 10))
}

// parseLock splits a lock value into "<owner>:<token>" and the expiry.
func parseLock(v []byte) (holder string, expiry int64, err error) {
	s := string(v)
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", 0, fmt.Errorf("%w: lock value %q is not <owner>:<token>:<expiry>", errCorrupt, s)
	}
	holder = s[:i]
	expiry, err = strconv.ParseInt(s[i+1:], 10, 64)
	j := strings.LastIndexByte(holder, ':')
	if err != nil || j < 0 {
		return "", 0, fmt.Errorf("%w: lock value %q is not <owner>:<token>:<expiry>", errCorrupt, s)
	}
	if _, err := strconv.ParseInt(holder[j+1:], 10, 64); err != nil {
		return "", 0, fmt.Errorf("%w: lock value %q has no numeric token", errCorrupt, s)
	}
	return holder, expiry, nil
}

func lockExpiration(ttl time.Duration) int32 { return expiration(ttl + time.Second) }

func lost(op, key, holder string) error {
	return keyErr(op, key, fmt.Errorf("no longer held by %q: %w", holder, backend.ErrLockLost))
}

// AcquireLock takes the export lock for ttl when it is absent (add) or its stored expiry
// passed (CAS). The fencing token comes from incr on <prefix>:export_token, created on
// first use with the current time in microseconds, so tokens keep increasing even if
// memcached loses the counter. A token is spent only when the lock looked free.
func (b *Backend) AcquireLock(ctx context.Context, owner string, ttl time.Duration) (backend.Lease, bool, error) {
	return b.acquire(ctx, b.keys.lock, owner, ttl)
}

// acquire takes the lock item key (the export lock, or the admission lock of max_series).
func (b *Backend) acquire(ctx context.Context, key, owner string, ttl time.Duration) (*lease, bool, error) {
	const op = "acquire lock"
	if err := ctx.Err(); err != nil {
		return nil, false, wrap(op, err)
	}
	if ttl <= 0 {
		return nil, false, wrap(op, fmt.Errorf("ttl must be positive, got %s", ttl))
	}
	for range 3 {
		cur, err := b.get(ctx, key)
		if err != nil && !errors.Is(err, memcache.ErrCacheMiss) {
			return nil, false, keyErr(op, key, err)
		}
		if cur != nil {
			_, exp, err := parseLock(cur.Value)
			if err != nil {
				return nil, false, keyErr(op, key, err)
			}
			if exp > time.Now().UnixNano() {
				return nil, false, nil
			}
		}
		tok, err := b.nextToken(ctx)
		if err != nil {
			return nil, false, err
		}
		holder := owner + ":" + strconv.FormatInt(tok, 10)
		mi := &memcache.Item{Key: key, Value: lockValue(holder, time.Now().Add(ttl).UnixNano()), Expiration: lockExpiration(ttl)}
		err = b.casOrAdd(ctx, mi, cur)
		switch {
		case err == nil:
			return &lease{b: b, key: key, holder: holder, token: tok}, true, nil
		case conflict(err):
			continue // someone else moved first: look again
		default:
			return nil, false, keyErr(op, key, err)
		}
	}
	return nil, false, nil
}

func (b *Backend) nextToken(ctx context.Context) (int64, error) {
	const op = "acquire lock: fencing token"
	key := b.keys.token
	for range 3 {
		var v uint64
		err := b.write(ctx, func() error {
			var err error
			v, err = b.client.Increment(key, 1)
			return err
		})
		if err == nil {
			if v > math.MaxInt64 {
				return 0, keyErr(op, key, fmt.Errorf("counter overflowed int64: %d", v))
			}
			return int64(v), nil
		}
		if !errors.Is(err, memcache.ErrCacheMiss) {
			return 0, keyErr(op, key, err)
		}
		seed := strconv.FormatInt(time.Now().UnixMicro(), 10)
		err = b.write(ctx, func() error { return b.client.Add(&memcache.Item{Key: key, Value: []byte(seed)}) })
		if err != nil && !errors.Is(err, memcache.ErrNotStored) {
			return 0, keyErr(op, key, err)
		}
	}
	return 0, keyErr(op, key, errors.New("counter keeps disappearing"))
}

// held reads the lock item and checks that it still holds this lease, unexpired
// (ErrLockLost otherwise).
func (l *lease) held(ctx context.Context, op string) (*memcache.Item, error) {
	cur, err := l.b.get(ctx, l.key)
	if errors.Is(err, memcache.ErrCacheMiss) {
		return nil, lost(op, l.key, l.holder)
	}
	if err != nil {
		return nil, keyErr(op, l.key, err)
	}
	holder, exp, err := parseLock(cur.Value)
	if err != nil {
		return nil, keyErr(op, l.key, err)
	}
	if holder != l.holder || exp <= time.Now().UnixNano() {
		return nil, lost(op, l.key, l.holder)
	}
	return cur, nil
}

// Renew extends the lock to ttl from now if it still holds this lease and has not
// expired (CAS on the value read).
func (l *lease) Renew(ctx context.Context, ttl time.Duration) error {
	const op = "renew lock"
	b := l.b
	if ttl <= 0 {
		return wrap(op, fmt.Errorf("ttl must be positive, got %s", ttl))
	}
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if err := b.retryWait(ctx, op, l.key, attempt); err != nil {
				return err
			}
		}
		cur, err := l.held(ctx, op)
		if err != nil {
			return err
		}
		mi := &memcache.Item{Key: l.key, Value: lockValue(l.holder, time.Now().Add(ttl).UnixNano()),
			Expiration: lockExpiration(ttl), CasID: cur.CasID}
		err = b.write(ctx, func() error { return b.client.CompareAndSwap(mi) })
		switch {
		case err == nil:
			return nil
		case errors.Is(err, memcache.ErrCacheMiss), errors.Is(err, memcache.ErrNotStored):
			return lost(op, l.key, l.holder)
		case errors.Is(err, memcache.ErrCASConflict):
			continue
		default:
			return keyErr(op, l.key, err)
		}
	}
}

// Release deletes the lock if it still holds this lease. memcached has no
// compare-and-delete command, but a CAS that sets a negative expiration is one: it
// applies only if the value is still the one read, and the item is gone at once. So
// there is no window in which another owner's lock could be deleted. Releasing a lock
// that expired or passed to another owner is not an error.
func (l *lease) Release(ctx context.Context) error {
	const op = "release lock"
	b := l.b
	for range 3 {
		cur, err := b.get(ctx, l.key)
		if errors.Is(err, memcache.ErrCacheMiss) {
			return nil
		}
		if err != nil {
			return keyErr(op, l.key, err)
		}
		if holder, _, err := parseLock(cur.Value); err != nil || holder != l.holder {
			return nil
		}
		err = b.write(ctx, func() error {
			return b.client.CompareAndSwap(&memcache.Item{Key: l.key, Value: []byte{}, Expiration: -1, CasID: cur.CasID})
		})
		switch {
		case err == nil, errors.Is(err, memcache.ErrCacheMiss), errors.Is(err, memcache.ErrNotStored):
			return nil
		case errors.Is(err, memcache.ErrCASConflict):
			continue // renewed or taken meanwhile: look again
		default:
			return keyErr(op, l.key, err)
		}
	}
	return nil
}

// LastExported returns the start (Unix ns) of the last exported interval, 0 when none.
func (b *Backend) LastExported(ctx context.Context) (int64, error) {
	const op = "last exported"
	it, err := b.get(ctx, b.keys.last)
	if errors.Is(err, memcache.ErrCacheMiss) {
		return 0, nil
	}
	if err != nil {
		return 0, keyErr(op, b.keys.last, err)
	}
	v, err := strconv.ParseInt(string(it.Value), 10, 64)
	if err != nil {
		return 0, keyErr(op, b.keys.last, fmt.Errorf("%w: %q is not a number", errCorrupt, it.Value))
	}
	return v, nil
}

// MarkExported records, under lease, that interval was exported with these points:
// (1) the lock must still hold the lease and not have expired (else ErrLockLost, nothing
// written); (2) <prefix>:last_export is raised to interval (CAS, never lowered); (3) each
// series item that still exists gets the point as its Exported point (CAS). The steps are
// separate round trips: a lease that expires after (1) can still write in (3). Each
// series item keeps the fencing token of the last MarkExported that wrote it and refuses
// an older one (ErrLockLost), so a stale holder never overwrites a newer holder's points.
func (b *Backend) MarkExported(ctx context.Context, l backend.Lease, interval int64, exported []series.State) error {
	const op = "mark exported"
	if err := ctx.Err(); err != nil {
		return wrap(op, err)
	}
	ls, ok := l.(*lease)
	if !ok || ls.key != b.keys.lock {
		return wrap(op, fmt.Errorf("lease is not from this backend: %w", backend.ErrLockLost))
	}
	if _, err := ls.held(ctx, op); err != nil {
		return err
	}
	if err := b.raiseLast(ctx, interval); err != nil {
		return err
	}
	if len(exported) == 0 {
		return nil
	}
	// The last state of a series wins when it is listed twice.
	pos := make(map[series.ID]int, len(exported))
	for i := range exported {
		pos[exported[i].ID] = i
	}
	ids := make([]series.ID, 0, len(pos))
	for id := range pos {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	keys, items, err := b.readSeries(ctx, ids)
	if err != nil {
		return wrap(op, err)
	}
	return b.forEach(ctx, len(ids), func(ctx context.Context, _, i int) error {
		cur := items[keys[i]]
		if cur == nil {
			return nil // missing series are skipped
		}
		st := &exported[pos[ids[i]]]
		return b.casItem(ctx, op, keys[i], cur, func(it *item) (bool, error) {
			if it.xtoken > ls.token {
				return false, keyErr(op, keys[i], fmt.Errorf("a newer lock holder (token %d > %d) already wrote it: %w", it.xtoken, ls.token, backend.ErrLockLost))
			}
			p := st.Point.Clone()
			it.st.Exported = &p
			it.xtoken = ls.token
			return true, nil
		})
	})
}

// raiseLast raises <prefix>:last_export to interval (CAS; it never goes down).
func (b *Backend) raiseLast(ctx context.Context, interval int64) error {
	val := []byte(strconv.FormatInt(interval, 10))
	return b.rmw(ctx, "mark exported", b.keys.last, func(cur []byte) ([]byte, error) {
		if cur != nil {
			v, err := strconv.ParseInt(string(cur), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%w: %q is not a number", errCorrupt, cur)
			}
			if v >= interval {
				return nil, nil
			}
		}
		return val, nil
	})
}

// rmw read-modify-writes the item key (no expiration) with CAS, or adds it when absent.
// mutate gets the current value (nil: absent) and returns the new one (nil: nothing to
// write); lost races are retried with backoff.
func (b *Backend) rmw(ctx context.Context, op, key string, mutate func(cur []byte) ([]byte, error)) error {
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if err := b.retryWait(ctx, op, key, attempt); err != nil {
				return err
			}
		}
		cur, err := b.get(ctx, key)
		if err != nil && !errors.Is(err, memcache.ErrCacheMiss) {
			return keyErr(op, key, err)
		}
		var old []byte
		if cur != nil {
			old = cur.Value
		}
		val, err := mutate(old)
		if err != nil {
			return keyErr(op, key, err)
		}
		if val == nil {
			return nil
		}
		mi := &memcache.Item{Key: key, Value: val}
		err = b.casOrAdd(ctx, mi, cur)
		switch {
		case err == nil:
			return nil
		case conflict(err):
			continue
		default:
			return keyErr(op, key, err)
		}
	}
}
