// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package redisbackend

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// The scripts one shard's updates go to.
const (
	opGeneric = iota // apply.lua
	opSums           // applysums.lua
	opFill           // applysums.lua, returning the values for the cache
	opCAS            // applycas.lua: the client merged on its cache
)

type applyOp struct {
	mode int
	plan casPlan
}

// applyRun is one Apply: its shard calls (calls[i] is ops[i], then the series registry's
// call) and what came back.
type applyRun struct {
	b       *Backend
	e       *encoder
	ups     []series.Update
	batchID string
	nowHex  string
	exp     int64
	expiry  string
	marker  string
	safety  string

	calls        []shardCall
	ops          []applyOp
	retry        []int // shards whose compare-and-set found another version
	errs, causes []error
}

func (a *applyRun) keys(s int) []string {
	keys := a.b.shards[s].keys
	if a.batchID != "" {
		keys = append(keys[:5:5], a.b.shards[s].batch+a.batchID)
	}
	return keys
}

// plan picks shard s's script (see Apply).
func (a *applyRun) plan(s int) {
	b, e, idx := a.b, a.e, a.e.idx[s]
	if b.generic || !e.sumsOnly(a.ups, idx) {
		head := []any{a.nowHex, a.expiry, a.marker, a.safety}
		a.calls = append(a.calls, shardCall{shard: s, keys: a.keys(s), args: append(head, e.records(a.ups, idx))})
		a.ops = append(a.ops, applyOp{mode: opGeneric})
		return
	}
	c := b.cache[s]
	if c == nil || !b.guard.ok.Load() {
		a.sums(s, false)
		return
	}
	p := e.plan.take(len(idx))
	if !c.plan(a.ups, idx, a.exp, &p) {
		a.sums(s, c.wantValues(len(idx)))
		return
	}
	head := []any{p.expect, a.expiry, a.marker, a.safety}
	a.calls = append(a.calls, shardCall{shard: s, keys: a.keys(s), args: e.casArgs(head, a.ups, idx, &p, a.nowHex), script: scriptApplyCAS})
	a.ops = append(a.ops, applyOp{mode: opCAS, plan: p})
}

// sums sends shard s to applysums.lua.
func (a *applyRun) sums(s int, values bool) {
	head := []any{a.nowHex, a.expiry, a.marker, a.safety}
	a.calls = append(a.calls, shardCall{shard: s, keys: a.keys(s), args: a.e.sumsArgs(head, a.ups, a.e.idx[s], values), script: scriptApplySums})
	op := applyOp{mode: opSums}
	if values {
		op.mode = opFill
	}
	a.ops = append(a.ops, op)
}

// run sends the calls (one pipeline) and takes in the replies.
func (a *applyRun) run(ctx context.Context) {
	b := a.b
	for i, c := range b.evalShards(ctx, scriptApply, a.calls) {
		if a.calls[i].shard == shardMergeCheck {
			b.mergeChecked(c)
			continue
		}
		if i >= len(a.ops) { // the series registry
			if err := c.Err(); err != nil {
				a.errs = append(a.errs, wrap("apply", fmt.Errorf("series registry %s: %w", b.global.series, err)))
				a.causes = append(a.causes, err)
			}
			continue
		}
		s := a.calls[i].shard
		res, err := c.Slice()
		if err == nil {
			err = a.done(s, &a.ops[i], res)
		}
		if err != nil {
			a.errs = append(a.errs, b.shardErr("apply", s, err))
			a.causes = append(a.causes, err)
		}
	}
}

var errReply = errors.New("unexpected script reply")

// done takes in shard s's reply: {0, 0} (the batch marker was there), {-1, 0} (a
// compare-and-set found another version), or {updates, kind changes, {new version, old version}[,
// values]}.
func (a *applyRun) done(s int, op *applyOp, res []any) error {
	if len(res) < 2 {
		return errReply
	}
	n, ok1 := res[0].(int64)
	changed, ok2 := res[1].(int64)
	if !ok1 || !ok2 {
		return errReply
	}
	c := a.b.cache[s]
	if n == -1 && op.mode == opCAS {
		a.b.casStats.conflicts.Add(1)
		c.conflict()
		a.retry = append(a.retry, s)
		return nil
	}
	if op.mode == opCAS {
		changed = int64(op.plan.kinds)
	}
	if changed > 0 {
		a.b.logger.Warn("Series changed kind (an ID collision?): restarted them",
			zap.Int("shard", s), zap.Int64("series", changed))
	}
	if len(res) < 3 || c == nil {
		return nil // applied before; the versions tell the cache
	}
	ver, ok := parseVerStep(res[2])
	if !ok {
		return errReply
	}
	idx := a.e.idx[s]
	switch op.mode {
	case opCAS:
		a.b.casStats.ok.Add(1)
		c.commit(&op.plan, ver)
	case opFill:
		a.b.casStats.fills.Add(1)
		if len(res) != 3+len(idx) {
			return errReply
		}
		c.store(a.ids(idx), res[3:], a.exp, ver)
	default:
		c.forget(a.ids(idx), ver)
	}
	return nil
}

// ids are the series IDs of the updates idx.
func (a *applyRun) ids(idx []int) []series.ID {
	ids := make([]series.ID, len(idx))
	for k, i := range idx {
		ids[k] = a.ups[i].ID
	}
	return ids
}
