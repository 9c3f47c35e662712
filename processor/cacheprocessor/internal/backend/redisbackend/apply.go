// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package redisbackend

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// encoder holds an Apply's per-shard payloads (pooled): the updates of each shard, then
// either the packed records of apply.lua or the split arguments of applysums.lua.
type encoder struct {
	idx  [][]int // per shard: indices into ups
	used []int
	seen map[series.ID]struct{}
	ids  []byte // packed ids of the batch (max_series registry)
	buf  []byte // applysums.lua's arguments, before they are copied into one string
	ends []int  // where each argument ends in buf
}

func newEncoder(shards int) *encoder {
	return &encoder{idx: make([][]int, shards), seen: map[series.ID]struct{}{}}
}

func (e *encoder) reset() {
	for _, s := range e.used {
		e.idx[s] = e.idx[s][:0]
	}
	e.used = e.used[:0]
}

func (e *encoder) add(shard, i int) {
	if len(e.idx[shard]) == 0 {
		e.used = append(e.used, shard)
	}
	e.idx[shard] = append(e.idx[shard], i)
}

// sumsOnly reports whether the shard's updates are all sums and gauges, each series
// once: applysums.lua's case.
func (e *encoder) sumsOnly(ups []series.Update, idx []int) bool {
	clear(e.seen)
	for _, i := range idx {
		if classOf(ups[i].Kind) != classSum {
			return false
		}
		if _, dup := e.seen[ups[i].ID]; dup {
			return false
		}
		e.seen[ups[i].ID] = struct{}{}
	}
	return true
}

// records returns the shard's updates packed for apply.lua (a fresh slice: the
// pipeline holds it until Exec).
func (e *encoder) records(ups []series.Update, idx []int) []byte {
	out := make([]byte, 0, 96*len(idx))
	for _, i := range idx {
		out = append(appendRecord(out, &ups[i]), '\n')
	}
	return out
}

// sumsArgs appends applysums.lua's arguments after head: the kinds, the number of
// descriptors, the ids, the times, the points and the descriptor pairs. They are
// substrings of one string, passed as *string (go-redis writes those as they are):
// boxing a pointer allocates nothing, so a call costs a handful of allocations whatever
// its number of updates.
func (e *encoder) sumsArgs(head []any, ups []series.Update, idx []int) []any {
	buf, ends := e.buf[:0], e.ends[:0]
	end := func() { ends = append(ends, len(buf)) }
	descs := 0
	for _, i := range idx {
		buf = append(buf, byte('0'+ups[i].Kind))
		if ups[i].Desc != nil {
			descs++
		}
	}
	end()
	for _, i := range idx {
		buf = appendID(buf, ups[i].ID)
		end()
	}
	for _, i := range idx {
		buf = appendInt(buf, ups[i].Point.Time)
		end()
	}
	for _, i := range idx {
		buf = appendPoint(buf, ups[i].Kind, &ups[i].Point)
		end()
	}
	for _, i := range idx {
		if ups[i].Desc != nil {
			buf = appendID(buf, ups[i].ID)
			end()
			buf = append(buf, ups[i].Desc...)
			end()
		}
	}
	all := string(buf)
	e.buf, e.ends = buf, ends
	strs := make([]string, len(ends))
	from := 0
	for k, to := range ends {
		strs[k], from = all[from:to], to
	}
	args := make([]any, 0, len(head)+1+len(strs))
	args = append(args, head...)
	args = append(args, &strs[0], strconv.Itoa(descs))
	for k := 1; k < len(strs); k++ {
		args = append(args, &strs[k])
	}
	return args
}

// expiryGranule is the step expiry scores are rounded up to: 1 s, or a hundredth of a
// retention shorter than 100 s (at least 1 ms).
func (b *Backend) expiryGranule() int64 {
	return max(1, min(1000, b.retention.Milliseconds()/100))
}

// expiry is the expiry score (Unix ms) of a series updated at now: now + retention,
// rounded up to the granule. The batches of one granule then write the same score, so
// their ZADD GT leaves the sorted sets as they are instead of moving every member (about
// 1 µs per point on the server); a series lives at most a granule longer, never shorter.
func (b *Backend) expiry(now time.Time) string {
	g := b.expiryGranule()
	e := now.Add(b.retention).UnixMilli()
	if r := e % g; r != 0 {
		e += g - r
		if r < 0 {
			e -= g
		}
	}
	return strconv.FormatInt(e, 10)
}

// Begin opens a batch that collects copies of the updates added to it and applies
// them at Commit in one Apply (one pipelined round trip), idempotent by batchID.
func (b *Backend) Begin(batchID string, now time.Time) backend.Batch {
	return backend.Collect(batchID, now, b.Apply)
}

// Apply merges ups (series.Merge rules): one Lua script per touched shard, all shards in
// one pipeline. Each shard's script is atomic and idempotent on its own (its batch
// marker): after an error, retrying the batch re-applies only the shards that did not
// commit. A shard whose updates are all sums and gauges, each series once, takes
// applysums.lua (the points split by the client); any other apply.lua.
func (b *Backend) Apply(ctx context.Context, batchID string, ups []series.Update, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return wrap("apply", err)
	}
	if len(ups) == 0 {
		return nil
	}
	if err := b.admit(ctx, ups, now); err != nil {
		return err
	}
	e := b.encoders.Get().(*encoder)
	defer func() { e.reset(); b.encoders.Put(e) }()
	for i := range ups {
		if err := checkKind(ups[i].Kind); err != nil {
			return wrap("apply", fmt.Errorf("update %d (series %s): %w", i, ups[i].ID, err))
		}
		e.add(b.shardOf(ups[i].ID), i)
	}
	nowArg := strconv.FormatUint(uint64(now.UnixNano()), 16)
	expiry := b.expiry(now)
	marker, safety := ms(b.retention), ms(b.safety())
	calls := make([]shardCall, 0, len(e.used)+1)
	for _, s := range e.used {
		keys := b.shards[s].keys
		if batchID != "" {
			keys = append(keys[:4:4], b.shards[s].batch+batchID)
		}
		head := []any{nowArg, expiry, marker, safety}
		if !b.generic && e.sumsOnly(ups, e.idx[s]) {
			calls = append(calls, shardCall{shard: s, keys: keys, args: e.sumsArgs(head, ups, e.idx[s]), script: scriptApplySums})
		} else {
			calls = append(calls, shardCall{shard: s, keys: keys, args: append(head, e.records(ups, e.idx[s]))})
		}
	}
	if b.maxSeries > 0 {
		// The registered expiries follow the shards' (same score, same GT rule), in
		// the same pipeline.
		e.ids = e.ids[:0]
		for i := range ups {
			e.ids = appendID(e.ids, ups[i].ID)
		}
		calls = append(calls, b.touchCall(expiry, "", e.ids))
	}
	cmds := b.evalShards(ctx, scriptApply, calls)
	var errs, causes []error
	for i, c := range cmds {
		if calls[i].shard < 0 {
			if err := c.Err(); err != nil {
				errs = append(errs, wrap("apply", fmt.Errorf("series registry %s: %w", b.global.series, err)))
				causes = append(causes, err)
			}
			continue
		}
		res, err := c.Int64Slice()
		if err != nil {
			errs = append(errs, b.shardErr("apply", calls[i].shard, err))
			causes = append(causes, err)
			continue
		}
		if len(res) == 2 && res[1] > 0 {
			b.logger.Warn("Series changed kind (an ID collision?): restarted them",
				zap.Int("shard", calls[i].shard), zap.Int64("series", res[1]))
		}
	}
	return joinShardErrs("apply", errs, causes)
}
