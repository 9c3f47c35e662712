// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package memcachedbackend

import (
	"context"
	"fmt"
	"time"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// admitLockTTL bounds how long one admission holds <prefix>:admit_lock.
const admitLockTTL = 3 * time.Second

// SetMaxSeries sets the cap of series in the shared aggregate (0: none). Call before
// Start.
func (b *Backend) SetMaxSeries(n int) { b.maxSeries = n }

// admit decides the updates marked Admit against the shared aggregate's cap and
// rewrites the refused ones to their overflow series. memcached has no server-side
// logic, so the decision is made under an admission lock (<prefix>:admit_lock, taken
// like the export lock): a series whose item exists is admitted; for the others the
// shard indexes are read, their entries counted (every series listed, including ones
// that expired but were not swept yet: room is freed by Expire, which runs before every
// export), and the admitted series — and the overflow series of the refused ones — are
// listed in their indexes before the lock is released, so the next admission counts
// them. Exact while an admission finishes within the lock's TTL (3 s) and memcached
// evicts nothing; a holder stalled past it can let another replica admit over the cap.
func (b *Backend) admit(ctx context.Context, ups []series.Update, now time.Time) error {
	const op = "admit"
	idx := series.ToAdmit(ups, b.maxSeries)
	if len(idx) == 0 {
		return nil
	}
	// Series that exist are admitted without the lock.
	keys := make([]string, 0, len(idx))
	for _, i := range idx {
		keys = append(keys, b.seriesKey(ups[i].ID))
	}
	items, err := b.getMulti(ctx, keys)
	if err != nil {
		return wrap(op, fmt.Errorf("read %d series items: %w", len(keys), err))
	}
	var fresh []int
	for k, i := range idx {
		if items[keys[k]] != nil {
			ups[i].Accept()
		} else {
			fresh = append(fresh, i)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	l, err := b.admitLock(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = l.Release(context.WithoutCancel(ctx)) }()

	idxItems, err := b.getMulti(ctx, b.keys.index)
	if err != nil {
		return wrap(op, fmt.Errorf("read shard indexes: %w", err))
	}
	listed := map[series.ID]bool{}
	for _, i := range fresh {
		listed[ups[i].ID], listed[ups[i].Overflow] = false, false
	}
	count := 0
	for _, k := range b.keys.index {
		it := idxItems[k]
		if it == nil {
			continue
		}
		es, err := decodeIndex(it.Value)
		if err != nil {
			return keyErr(op, k, err)
		}
		count += len(es)
		for _, e := range es {
			if _, ok := listed[e.id]; ok {
				listed[e.id] = true
			}
		}
	}
	exp := now.UnixNano() + int64(b.retention)
	adds := map[int][]idxEntry{}
	list := func(id series.ID) {
		if !listed[id] {
			listed[id] = true
			count++
			adds[b.shardOf(id)] = append(adds[b.shardOf(id)], idxEntry{id: id, hint: exp})
		}
	}
	for _, i := range fresh {
		u := &ups[i]
		if listed[u.ID] || count < b.maxSeries {
			list(u.ID)
			u.Accept()
			continue
		}
		list(u.Overflow)
		u.Refuse()
	}
	ref := refNow(now.UnixNano())
	for s, add := range adds {
		sortEntries(add)
		if err := b.ensureIndexed(ctx, op, s, ref, &prefetched{idxItems[b.keys.index[s]]}, add); err != nil {
			return err
		}
	}
	return nil
}

// admitLock takes the admission lock, waiting (jittered backoff) while another
// replica holds it.
func (b *Backend) admitLock(ctx context.Context) (*lease, error) {
	for attempt := 1; ; attempt++ {
		l, ok, err := b.acquire(ctx, b.keys.admit, b.self, admitLockTTL)
		if err != nil {
			return nil, wrap("admit", err)
		}
		if ok {
			return l, nil
		}
		if err := b.backoff(ctx, min(attempt, 8)); err != nil {
			return nil, wrap("admit", fmt.Errorf("waiting for %s: %w", b.keys.admit, err))
		}
	}
}
