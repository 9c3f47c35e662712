// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package redisbackend

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// encoder holds an Apply's per-shard payloads (pooled): the updates of each shard, then
// either the packed records of apply.lua or the split arguments of applysums.lua.
type encoder struct {
	idx  [][]int // per shard: indices into ups
	used []int
	seen idSet
	ids  []byte // packed ids of the batch (max_series registry)
	// the client-side merges' plans of one Apply (casPlan slices are cut from these;
	// Apply makes room for every update first, so they never move while in use)
	plan planBufs
	pk   packer // the split arguments of applysums.lua and applycas.lua
}

func newEncoder(shards int) *encoder {
	return &encoder{idx: make([][]int, shards)}
}

func (e *encoder) reset() {
	for _, s := range e.used {
		e.idx[s] = e.idx[s][:0]
	}
	e.used = e.used[:0]
	e.plan.reset(0)
	e.pk.reset()
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
	e.seen.reset(len(idx))
	for _, i := range idx {
		if classOf(ups[i].Kind) != classSum || !e.seen.add(ups[i].ID) {
			return false
		}
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
// descriptors, whether to return the values written (for the client cache), the ids,
// the times, the points and the descriptor pairs, built by the packer: a call costs a
// handful of allocations whatever its number of updates.
func (e *encoder) sumsArgs(head []any, ups []series.Update, idx []int, values bool) []any {
	pk := &e.pk
	n0 := len(pk.refs)
	descs := 0
	for _, i := range idx {
		pk.buf = append(pk.buf, byte('0'+ups[i].Kind))
		if ups[i].Desc != nil {
			descs++
		}
	}
	pk.end()
	for _, i := range idx {
		pk.buf = appendID(pk.buf, ups[i].ID)
		pk.end()
	}
	for _, i := range idx {
		pk.buf = appendInt(pk.buf, ups[i].Point.Time)
		pk.end()
	}
	for _, i := range idx {
		pk.buf = appendPoint(pk.buf, ups[i].Kind, &ups[i].Point)
		pk.end()
	}
	for _, i := range idx {
		if ups[i].Desc != nil {
			pk.buf = appendID(pk.buf, ups[i].ID)
			pk.end()
			pk.buf = append(pk.buf, ups[i].Desc...)
			pk.end()
		}
	}
	refs := pk.refs[n0:]
	flag := "0"
	if values {
		flag = "1"
	}
	args := make([]any, 0, len(head)+2+len(refs))
	args = append(args, head...)
	args = append(args, &refs[0], strconv.Itoa(descs), flag)
	for k := 1; k < len(refs); k++ {
		args = append(args, &refs[k])
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
func (b *Backend) expiry(now time.Time) string { return strconv.FormatInt(b.expiryMs(now), 10) }

func (b *Backend) expiryMs(now time.Time) int64 {
	g := b.expiryGranule()
	e := now.Add(b.retention).UnixMilli()
	if r := e % g; r != 0 {
		e += g - r
		if r < 0 {
			e -= g
		}
	}
	return e
}

// Begin opens a batch that collects copies of the updates added to it and applies
// them at Commit in one Apply (one pipelined round trip), idempotent by batchID.
func (b *Backend) Begin(batchID string, now time.Time) backend.Batch {
	return backend.Collect(batchID, now, b.Apply)
}

// Apply merges ups (series.Merge rules): one Lua script per touched shard, all shards in
// one pipeline. Each shard's script is atomic and idempotent on its own (its batch
// marker): after an error, retrying the batch re-applies only the shards that did not
// commit. A shard whose updates are all sums and gauges, each series once, is merged by
// the client on its cache and written by applycas.lua when every series is cached and
// the shard's version known (see doc.go), else by applysums.lua; any other shard by
// apply.lua. A compare-and-set that finds the shard changed writes nothing and is
// retried with applysums.lua in a second round trip.
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
	a := applyRun{b: b, e: e, ups: ups, batchID: batchID, nowHex: strconv.FormatUint(uint64(now.UnixNano()), 16)}
	a.exp = b.expiryMs(now)
	a.expiry = strconv.FormatInt(a.exp, 10)
	a.marker, a.safety = ms(b.retention), ms(b.safety())
	e.plan.reset(len(ups))
	a.calls = make([]shardCall, 0, len(e.used)+1)
	a.ops = make([]applyOp, 0, len(e.used))
	for _, s := range e.used {
		a.plan(s)
	}
	if b.maxSeries > 0 {
		// The registered expiries follow the shards' (same score, same GT rule), in
		// the same pipeline.
		e.ids = e.ids[:0]
		for i := range ups {
			e.ids = appendID(e.ids, ups[i].ID)
		}
		a.calls = append(a.calls, b.touchCall(a.expiry, "", e.ids))
	}
	if b.mergeCheckDue() {
		a.calls = append(a.calls, b.mergeCheckCall())
	}
	a.run(ctx)
	if retry := a.retry; len(retry) > 0 {
		a.calls, a.ops, a.retry = a.calls[:0], a.ops[:0], nil
		for _, s := range retry {
			a.sums(s, false)
		}
		a.run(ctx)
	}
	return joinShardErrs("apply", a.errs, a.causes)
}
