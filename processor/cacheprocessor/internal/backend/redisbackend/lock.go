// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package redisbackend

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// lease is a held export lock: the lock key holds "<owner>:<token>".
type lease struct {
	b     *Backend
	key   string // the lock key
	value string // <owner>:<token>
	token int64
}

func (l *lease) Token() int64 { return l.token }

// Renew extends the lock to ttl from now if it is still ours (compare-and-PEXPIRE).
func (l *lease) Renew(ctx context.Context, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return wrap("renew lock", err)
	}
	n, err := scriptRenew.Run(ctx, l.b.client, []string{l.key}, l.value, ms(ttl)).Int()
	if err != nil {
		return wrap("renew lock", err)
	}
	if n != 1 {
		return wrap("renew lock", fmt.Errorf("%s is no longer %q: %w", l.key, l.value, backend.ErrLockLost))
	}
	return nil
}

// Release deletes the lock if it is still ours (compare-and-delete); releasing a lock
// that expired or passed to another owner is not an error.
func (l *lease) Release(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return wrap("release lock", err)
	}
	if err := scriptRelease.Run(ctx, l.b.client, []string{l.key}, l.value).Err(); err != nil {
		return wrap("release lock", err)
	}
	return nil
}

// AcquireLock takes the export lock for ttl if nobody holds it. One script on the lock's
// slot does SET NX PX and INCR of the fencing-token counter together, so tokens increase
// with every acquisition and none is spent on a failed attempt.
func (b *Backend) AcquireLock(ctx context.Context, owner string, ttl time.Duration) (backend.Lease, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, wrap("acquire lock", err)
	}
	tok, err := scriptAcquire.Run(ctx, b.client, []string{b.global.lock, b.global.token}, owner, ms(ttl)).Int64()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, wrap("acquire lock", err)
	}
	return &lease{b: b, key: b.global.lock, value: owner + ":" + strconv.FormatInt(tok, 10), token: tok}, true, nil
}

// LastExported returns the start (Unix ns) of the last exported interval, 0 when none.
func (b *Backend) LastExported(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, wrap("last exported", err)
	}
	v, err := b.client.Get(ctx, b.global.last).Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, wrap("last exported", err)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, wrap("last exported", fmt.Errorf("corrupt %s: %q", b.global.last, v))
	}
	return n, nil
}

// MarkExported records, under lease, that interval was exported with these points.
//
// Order: (1) one script on the lock's slot checks that the lock still holds the lease's
// "<owner>:<token>" (else ErrLockLost, nothing written) and raises last_export to
// interval; (2) the exported points are written per shard (pipelined), only for series
// that still exist. The lock and the shards live in different Cluster slots, so the two
// steps are not one transaction: a holder whose lease expires between them can still
// write points in step 2. Each shard keeps the highest fencing token that wrote it and
// refuses older ones (ErrLockLost), so a stale holder never overwrites a newer holder's
// points.
func (b *Backend) MarkExported(ctx context.Context, l backend.Lease, interval int64, exported []series.State) error {
	if err := ctx.Err(); err != nil {
		return wrap("mark exported", err)
	}
	ls, ok := l.(*lease)
	if !ok || ls.key != b.global.lock {
		return wrap("mark exported", fmt.Errorf("lease is not from this backend: %w", backend.ErrLockLost))
	}
	for i := range exported {
		if err := checkKind(exported[i].Kind); err != nil {
			return wrap("mark exported", fmt.Errorf("series %s: %w", exported[i].ID, err))
		}
	}
	n, err := scriptMarkGlob.Run(ctx, b.client, []string{b.global.lock, b.global.last}, ls.value, strconv.FormatInt(interval, 10)).Int()
	if err != nil {
		return wrap("mark exported", err)
	}
	if n != 1 {
		return wrap("mark exported", fmt.Errorf("%s is no longer %q: %w", b.global.lock, ls.value, backend.ErrLockLost))
	}
	if len(exported) == 0 {
		return nil
	}
	tok, safety := strconv.FormatInt(ls.token, 10), ms(b.safety())
	byShard := map[int][]any{}
	var buf []byte
	for i := range exported {
		st := &exported[i]
		s := b.shardOf(st.ID)
		if byShard[s] == nil {
			byShard[s] = []any{tok, safety}
		}
		buf = appendExported(buf[:0], st.Kind, &st.Point)
		byShard[s] = append(byShard[s], st.ID.String(), string(buf))
	}
	calls := make([]shardCall, 0, len(byShard))
	for _, s := range slices.Sorted(maps.Keys(byShard)) {
		sk := b.shards[s]
		calls = append(calls, shardCall{shard: s, keys: []string{sk.keys[2], sk.keys[3], sk.xt}, args: byShard[s]})
	}
	var errs []error
	for i, c := range b.evalShards(ctx, scriptMarkShard, calls) {
		n, err := c.Int()
		switch {
		case err != nil:
			errs = append(errs, b.shardErr("mark exported", calls[i].shard, err))
		case n < 0:
			errs = append(errs, b.shardErr("mark exported", calls[i].shard,
				fmt.Errorf("a newer lock holder (token > %d) already wrote it: %w", ls.token, backend.ErrLockLost)))
		}
	}
	return errors.Join(errs...)
}
