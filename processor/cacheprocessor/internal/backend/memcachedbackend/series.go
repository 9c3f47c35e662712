// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package memcachedbackend

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// Snapshot returns every series not expired at now, sorted by ID: the shard indexes in
// one multi-get, then their items in multi-gets of up to 1,000 keys (in parallel).
// Index entries whose item is gone (written by an Apply that has not written the item
// yet, or evicted) are left out; items without a descriptor are counted as missing.
func (b *Backend) Snapshot(ctx context.Context, now time.Time) ([]series.State, int, error) {
	const op = "snapshot"
	if err := ctx.Err(); err != nil {
		return nil, 0, wrap(op, err)
	}
	n := now.UnixNano()
	idx, err := b.getMulti(ctx, b.keys.index)
	if err != nil {
		return nil, 0, wrap(op, fmt.Errorf("read shard indexes: %w", err))
	}
	var ids []series.ID
	for _, k := range b.keys.index {
		it := idx[k]
		if it == nil {
			continue
		}
		es, err := decodeIndex(it.Value)
		if err != nil {
			return nil, 0, keyErr(op, k, err)
		}
		for _, e := range es {
			ids = append(ids, e.id)
		}
	}
	keys, items, err := b.readSeries(ctx, ids)
	if err != nil {
		return nil, 0, wrap(op, err)
	}
	out := make([]series.State, 0, len(items))
	missing := 0
	for i, id := range ids {
		mi := items[keys[i]]
		if mi == nil {
			continue
		}
		var it item
		if err := decodeItemAt(op, keys[i], mi.Value, &it); err != nil {
			return nil, 0, err
		}
		if it.expiry <= n {
			continue
		}
		if it.st.Desc == nil {
			missing++
			continue
		}
		it.st.ID = id
		out = append(out, it.st)
	}
	slices.SortFunc(out, func(x, y series.State) int { return cmp.Compare(x.ID, y.ID) })
	return out, missing, nil
}

// ExtendTTL makes the series expire no earlier than until; it never lowers an expiry and
// never creates a series. Index hints are raised first, then the items (CAS).
func (b *Backend) ExtendTTL(ctx context.Context, ids []series.ID, until time.Time) error {
	const op = "extend ttl"
	if err := ctx.Err(); err != nil {
		return wrap(op, err)
	}
	if len(ids) == 0 {
		return nil
	}
	u := until.UnixNano()
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	keys, items, err := b.readSeries(ctx, ids)
	if err != nil {
		return wrap(op, err)
	}
	type target struct {
		id  series.ID
		key string
		cur *memcache.Item
	}
	var targets []target
	adds := map[int][]idxEntry{}
	ref := time.Now().UnixNano()
	for i, id := range ids {
		cur := items[keys[i]]
		if cur == nil {
			continue
		}
		var it item
		if err := decodeItemAt(op, keys[i], cur.Value, &it); err != nil {
			return err
		}
		if it.expiry >= u {
			continue
		}
		s := b.shardOf(id)
		adds[s] = append(adds[s], idxEntry{id: id, hint: u}) // ids are sorted: so is adds[s]
		ref = min(ref, it.st.LastUpdate)
		targets = append(targets, target{id: id, key: keys[i], cur: cur})
	}
	if len(targets) == 0 {
		return nil
	}
	shards := make([]int, 0, len(adds))
	for s := range adds {
		shards = append(shards, s)
	}
	slices.Sort(shards)
	err = b.forEach(ctx, len(shards), func(ctx context.Context, _, i int) error {
		return b.ensureIndexed(ctx, op, shards[i], ref, nil, adds[shards[i]])
	})
	if err != nil {
		return err
	}
	return b.forEach(ctx, len(targets), func(ctx context.Context, _, i int) error {
		t := targets[i]
		return b.casItem(ctx, op, t.key, t.cur, func(it *item) (bool, error) {
			if it.expiry >= u {
				return false, nil
			}
			it.expiry = u
			it.indexed = max(it.indexed, u)
			return true, nil
		})
	})
}

// casItem read-merge-writes an existing series item with CAS (cur: as just read). mutate
// says whether to write; an item that disappears is left alone.
func (b *Backend) casItem(ctx context.Context, op, key string, cur *memcache.Item, mutate func(*item) (bool, error)) error {
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if err := b.retryWait(ctx, op, key, attempt); err != nil {
				return err
			}
			it, err := b.get(ctx, key)
			if errors.Is(err, memcache.ErrCacheMiss) {
				return nil
			}
			if err != nil {
				return keyErr(op, key, err)
			}
			cur = it
		}
		var it item
		if err := decodeItemAt(op, key, cur.Value, &it); err != nil {
			return err
		}
		write, err := mutate(&it)
		if err != nil || !write {
			return err
		}
		v := appendItem(nil, &it)
		if len(v) > maxValueSize {
			return keyErr(op, key, fmt.Errorf("series item would be %d bytes; memcached items are limited to 1 MB", len(v)))
		}
		mi := &memcache.Item{Key: key, Value: v, Expiration: b.itemExpiration(&it), CasID: cur.CasID}
		err = b.write(ctx, func() error { return b.client.CompareAndSwap(mi) })
		switch {
		case err == nil:
			return nil
		case errors.Is(err, memcache.ErrCacheMiss), errors.Is(err, memcache.ErrNotStored):
			return nil // gone (expired or evicted): nothing to update
		case errors.Is(err, memcache.ErrCASConflict):
			continue
		default:
			return keyErr(op, key, err)
		}
	}
}

// Expire removes the series whose expiry passed at now: per shard (in parallel), the
// index entries whose hint is at or before now are checked against their items; expired
// items are deleted by compare-and-delete (a CAS with a negative expiration, so an item
// updated meanwhile survives), then their entries leave the index (CAS). Entries of
// items that live longer get their hint raised. It returns the number of series removed.
func (b *Backend) Expire(ctx context.Context, now time.Time) (int, error) {
	const op = "expire"
	if err := ctx.Err(); err != nil {
		return 0, wrap(op, err)
	}
	b.pmu.Lock()
	b.prunePendingLocked(time.Now())
	b.pmu.Unlock()
	n := now.UnixNano()
	idx, err := b.getMulti(ctx, b.keys.index)
	if err != nil {
		return 0, wrap(op, fmt.Errorf("read shard indexes: %w", err))
	}
	var removed atomic.Int64
	var errs []error
	errc := make(chan error, len(b.keys.index))
	_ = b.forEach(ctx, len(b.keys.index), func(ctx context.Context, _, s int) error {
		if it := idx[b.keys.index[s]]; it != nil {
			if err := b.expireShard(ctx, s, it, n, &removed); err != nil {
				errc <- err
			}
		}
		return nil
	})
	close(errc)
	for err := range errc {
		errs = append(errs, err)
	}
	return int(removed.Load()), errors.Join(errs...)
}

func (b *Backend) expireShard(ctx context.Context, shard int, cur *memcache.Item, n int64, removed *atomic.Int64) error {
	const op = "expire"
	ikey := b.keys.index[shard]
	es, err := decodeIndex(cur.Value)
	if err != nil {
		return keyErr(op, ikey, err)
	}
	var cands []idxEntry
	for _, e := range es {
		if e.hint <= n {
			cands = append(cands, e)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	keys := make([]string, len(cands))
	for i, c := range cands {
		keys[i] = b.seriesKey(c.id)
	}
	items, err := b.getMulti(ctx, keys)
	if err != nil {
		return wrap(op, fmt.Errorf("read %d series items of shard %d: %w", len(keys), shard, err))
	}
	gone := map[series.ID]bool{}
	raise := map[series.ID]int64{}
	var errs []error
	for i, c := range cands {
		mi := items[keys[i]]
		if mi == nil {
			gone[c.id] = true
			continue
		}
		var it item
		if err := decodeItemAt(op, keys[i], mi.Value, &it); err != nil {
			errs = append(errs, err)
			continue
		}
		if it.expiry > n {
			raise[c.id] = it.expiry
			continue
		}
		err := b.write(ctx, func() error {
			return b.client.CompareAndSwap(&memcache.Item{Key: keys[i], Value: []byte{}, Expiration: -1, CasID: mi.CasID})
		})
		switch {
		case err == nil, errors.Is(err, memcache.ErrCacheMiss), errors.Is(err, memcache.ErrNotStored):
			gone[c.id] = true
		case errors.Is(err, memcache.ErrCASConflict):
			// updated since the read: the next sweep looks again
		default:
			errs = append(errs, keyErr(op, keys[i], err))
		}
		if ctx.Err() != nil {
			break
		}
	}
	if len(gone) > 0 || len(raise) > 0 {
		var dropped int
		err := b.updateIndex(ctx, op, shard, refNow(n), &prefetched{cur}, func(es []idxEntry) ([]idxEntry, bool) {
			dropped = 0
			raised := false
			out := make([]idxEntry, 0, len(es))
			for _, e := range es {
				if gone[e.id] && e.hint <= n {
					dropped++
					continue
				}
				if r, ok := raise[e.id]; ok && r > e.hint {
					e.hint, raised = r, true
				}
				out = append(out, e)
			}
			return out, dropped > 0 || raised
		})
		if err != nil {
			errs = append(errs, err)
		} else {
			removed.Add(int64(dropped))
		}
	}
	return errors.Join(errs...)
}

// readSeries reads the items of series ids: their keys, and the items found by key.
func (b *Backend) readSeries(ctx context.Context, ids []series.ID) ([]string, map[string]*memcache.Item, error) {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = b.seriesKey(id)
	}
	items, err := b.getMulti(ctx, keys)
	if err != nil {
		return nil, nil, fmt.Errorf("read %d series items: %w", len(keys), err)
	}
	return keys, items, nil
}
