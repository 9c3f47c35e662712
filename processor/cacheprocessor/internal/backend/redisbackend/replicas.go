// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package redisbackend

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
)

// Readiness markers live in the hash {<p>}:replicas: field <owner>, value "<ready> <seen>".

// MarkReady sets owner's marker (HSET).
func (b *Backend) MarkReady(ctx context.Context, owner string, interval int64, now time.Time) error {
	m := backend.ReplicaMark{Ready: interval, Seen: now.UnixNano()}
	// Both markers in one pipeline (one slot): the second says this replica versions
	// its writes (mergeguard.go).
	_, err := b.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, b.global.replicas, owner, backend.FormatMark(m))
		p.HSet(ctx, b.global.merging, owner, "1")
		return nil
	})
	if err != nil {
		return wrap("mark ready", err)
	}
	return nil
}

// Replicas reads every marker (HGETALL).
func (b *Backend) Replicas(ctx context.Context) (map[string]backend.ReplicaMark, error) {
	raw, err := b.client.HGetAll(ctx, b.global.replicas).Result()
	if err != nil {
		return nil, wrap("replicas", err)
	}
	out := make(map[string]backend.ReplicaMark, len(raw))
	for owner, v := range raw {
		m, err := backend.ParseMark(v)
		if err != nil {
			return nil, wrap("replicas", fmt.Errorf("%s field %s: %w", b.global.replicas, owner, err))
		}
		out[owner] = m
	}
	return out, nil
}

// ForgetReplica deletes owner's marker (HDEL).
func (b *Backend) ForgetReplica(ctx context.Context, owner string) error {
	_, err := b.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HDel(ctx, b.global.replicas, owner)
		p.HDel(ctx, b.global.merging, owner)
		return nil
	})
	if err != nil {
		return wrap("forget replica", err)
	}
	return nil
}
