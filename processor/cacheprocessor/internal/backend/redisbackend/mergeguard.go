// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package redisbackend

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// The client-side merge (cache.go) is only safe when every writer of the prefix raises
// the shards' versions. A replica of an earlier release does not: a cached replica would
// then overwrite what it wrote (delta sums would lose its increments). Every replica
// writes a readiness marker in {<p>}:replicas at Start, before it applies anything, and
// keeps it until it shuts down or has been gone for a retention; this release also
// writes one in {<p>}:replicas_versioned. The client-side merge is on only while every
// replica with a marker has both (luaMergeOK in scripts.go): a rolling upgrade turns it on by itself
// once the last older replica has left, and a replica of an older release that starts
// among newer ones turns it off within mergeCheckEvery.

// mergeCheckEvery is how often Apply re-checks the markers, in its own pipeline (no
// extra round trip).
const mergeCheckEvery = 2 * time.Second

// shardMergeCheck is the shard number of the check's call in an Apply's pipeline.
const shardMergeCheck = -2

type mergeGuard struct {
	ok     atomic.Bool
	next   atomic.Int64 // wall clock (Unix ns) of the next check
	checks atomic.Int64 // checks answered (tests)
}

func (b *Backend) mergeCheckCall() shardCall {
	return shardCall{shard: shardMergeCheck, keys: []string{b.global.replicas, b.global.merging}, script: scriptMergeOK}
}

// mergeCheckDue reports whether this Apply carries the check, and claims it.
func (b *Backend) mergeCheckDue() bool {
	n, now := b.guard.next.Load(), time.Now()
	return now.UnixNano() >= n && b.guard.next.CompareAndSwap(n, now.Add(mergeCheckEvery).UnixNano())
}

// checkMerge runs the check now (Start).
func (b *Backend) checkMerge(ctx context.Context) {
	b.guard.next.Store(time.Now().Add(mergeCheckEvery).UnixNano())
	b.mergeChecked(b.evalShards(ctx, nil, []shardCall{b.mergeCheckCall()})[0])
}

// mergeChecked takes in a check's answer. Turning the client-side merge on drops every
// cached value: an older replica may have written behind the versions meanwhile. An
// error turns it off until the next check.
func (b *Backend) mergeChecked(c *redis.Cmd) {
	b.guard.checks.Add(1)
	v, err := c.Int64()
	on := err == nil && v == 1
	if on == b.guard.ok.Load() {
		return
	}
	if on {
		for _, sc := range b.cache {
			if sc != nil {
				sc.reset()
			}
		}
		b.logger.Debug("Client-side merge on: every replica of the key prefix versions its writes")
	} else if err == nil {
		b.logger.Info("Client-side merge off: a replica of an earlier release shares the key prefix (it does not version its writes)")
	}
	b.guard.ok.Store(on)
}
