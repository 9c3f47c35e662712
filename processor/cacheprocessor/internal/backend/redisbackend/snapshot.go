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

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// Snapshot returns every series not expired at now, sorted by ID: one read-only script
// per shard, pipelined.
func (b *Backend) Snapshot(ctx context.Context, now time.Time) ([]series.State, int, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, wrap("snapshot", err)
	}
	nowMs := strconv.FormatInt(now.UnixMilli(), 10)
	calls := make([]shardCall, len(b.shards))
	for i := range b.shards {
		calls[i] = shardCall{shard: i, keys: b.shards[i].keys, args: []any{nowMs}}
	}
	cmds := b.evalShards(ctx, scriptSnapshot, calls)
	var out []series.State
	missing := 0
	for i, c := range cmds {
		res, err := c.Slice()
		if err != nil {
			return nil, 0, b.shardErr("snapshot", i, err)
		}
		m, err := b.decodeShard(i, res, &out)
		if err != nil {
			return nil, 0, b.shardErr("snapshot", i, err)
		}
		missing += m
	}
	slices.SortFunc(out, func(a, b series.State) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out, missing, nil
}

// str reads one element of a script's array reply: a string, or absent (nil, or false
// when the reply came over RESP3).
func str(v any) (string, bool, error) {
	switch v := v.(type) {
	case string:
		return v, true, nil
	case nil:
		return "", false, nil
	case bool:
		if !v {
			return "", false, nil
		}
	}
	return "", false, fmt.Errorf("unexpected %T in reply", v)
}

func (b *Backend) decodeShard(shard int, res []any, out *[]series.State) (int, error) {
	keys := b.shards[shard].keys
	if len(res) != 4 {
		return 0, fmt.Errorf("unexpected reply of %d elements", len(res))
	}
	ids, ok1 := res[0].([]any)
	vals, ok2 := res[1].([]any)
	descs, ok3 := res[2].([]any)
	xs, ok4 := res[3].([]any)
	if !ok1 || !ok2 || !ok3 || !ok4 || len(vals) != len(ids) || len(descs) != len(ids) || len(xs) != len(ids) {
		return 0, errors.New("unexpected reply shape")
	}
	missing := 0
	for j := range ids {
		idStr, _, err := str(ids[j])
		if err != nil {
			return 0, fmt.Errorf("%s: %w", keys[0], err)
		}
		id, err := series.ParseID(idStr)
		if err != nil || len(idStr) != 16 {
			return 0, fmt.Errorf("%s: corrupt member %q", keys[0], idStr)
		}
		v, hasV, err := str(vals[j])
		if err != nil {
			return 0, fmt.Errorf("%s field %s: %w", keys[2], idStr, err)
		}
		d, hasD, err := str(descs[j])
		if err != nil {
			return 0, fmt.Errorf("%s field %s: %w", keys[1], idStr, err)
		}
		if !hasV || !hasD {
			missing++
			continue
		}
		st := series.State{ID: id, Desc: []byte(d)}
		if err := parseValue(v, &st); err != nil {
			return 0, fmt.Errorf("%s field %s: %w", keys[2], idStr, err)
		}
		x, hasX, err := str(xs[j])
		if err != nil {
			return 0, fmt.Errorf("%s field %s: %w", keys[3], idStr, err)
		}
		if hasX {
			if st.Exported, err = parseExported(x); err != nil {
				return 0, fmt.Errorf("%s field %s: %w", keys[3], idStr, err)
			}
		}
		*out = append(*out, st)
	}
	return missing, nil
}

// ExtendTTL makes the series expire no earlier than until (ZADD XX GT: never lowers an
// expiry, never creates a series), and stretches the shard keys' native TTL to match.
func (b *Backend) ExtendTTL(ctx context.Context, ids []series.ID, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return wrap("extend ttl", err)
	}
	if len(ids) == 0 {
		return nil
	}
	score := strconv.FormatInt(until.UnixMilli(), 10)
	safety := ms(max(b.safety(), time.Until(until)+b.retention))
	byShard := map[int][]any{}
	for _, id := range ids {
		s := b.shardOf(id)
		if byShard[s] == nil {
			byShard[s] = []any{score, safety}
		}
		byShard[s] = append(byShard[s], id.String())
	}
	calls := make([]shardCall, 0, len(byShard))
	for _, s := range slices.Sorted(maps.Keys(byShard)) {
		calls = append(calls, shardCall{shard: s, keys: b.shards[s].keys, args: byShard[s]})
	}
	for i, c := range b.evalShards(ctx, scriptExtend, calls) {
		if err := c.Err(); err != nil {
			return b.shardErr("extend ttl", calls[i].shard, err)
		}
	}
	if b.maxSeries > 0 {
		var packed []byte
		for _, id := range ids {
			packed = appendID(packed, id)
		}
		if err := b.evalShards(ctx, nil, []shardCall{b.touchCall(score, "XX", packed)})[0].Err(); err != nil {
			return wrap("extend ttl", fmt.Errorf("series registry %s: %w", b.global.series, err))
		}
	}
	return nil
}

// Expire removes the series whose expiry is at or before now from every shard structure
// (one atomic script per shard, pipelined) and returns how many. Batch markers expire
// natively (PX retention).
func (b *Backend) Expire(ctx context.Context, now time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, wrap("expire", err)
	}
	nowMs := strconv.FormatInt(now.UnixMilli(), 10)
	calls := make([]shardCall, len(b.shards))
	for i := range b.shards {
		calls[i] = shardCall{shard: i, keys: b.shards[i].keys, args: []any{nowMs}}
	}
	removed := 0
	var errs, causes []error
	for i, c := range b.evalShards(ctx, scriptExpire, calls) {
		n, err := c.Int()
		if err != nil {
			errs = append(errs, b.shardErr("expire", i, err))
			causes = append(causes, err)
			continue
		}
		if n > 0 && b.cache[i] != nil {
			b.cache[i].reset() // the script raised the shard's version
		}
		removed += n
	}
	return removed, joinShardErrs("expire", errs, causes)
}
