// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package memcachedbackend

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
)

// Readiness markers live in one item, <prefix>:replicas: one line "<owner> <ready>
// <seen>" per replica, changed by CAS read-modify-write. It does not expire.

func decodeMarks(v []byte) (map[string]backend.ReplicaMark, error) {
	out := map[string]backend.ReplicaMark{}
	for line := range strings.Lines(string(v)) {
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			continue
		}
		owner, rest, ok := strings.Cut(line, " ")
		m, err := backend.ParseMark(rest)
		if !ok || err != nil {
			return nil, fmt.Errorf("%w: replica marker line %q", errCorrupt, line)
		}
		out[owner] = m
	}
	return out, nil
}

func encodeMarks(ms map[string]backend.ReplicaMark) []byte {
	var b []byte
	for _, owner := range slices.Sorted(maps.Keys(ms)) {
		b = append(b, owner...)
		b = append(b, ' ')
		b = append(b, backend.FormatMark(ms[owner])...)
		b = append(b, '\n')
	}
	return b
}

// updateMarks read-modify-writes the markers item with CAS.
func (b *Backend) updateMarks(ctx context.Context, op string, mutate func(map[string]backend.ReplicaMark) bool) error {
	return b.rmw(ctx, op, b.keys.repl, func(cur []byte) ([]byte, error) {
		ms, err := decodeMarks(cur)
		if err != nil {
			return nil, err
		}
		if !mutate(ms) {
			return nil, nil
		}
		return append(encodeMarks(ms), '\n'), nil // never nil, never empty
	})
}

// MarkReady sets owner's marker.
func (b *Backend) MarkReady(ctx context.Context, owner string, interval int64, now time.Time) error {
	return b.updateMarks(ctx, "mark ready", func(ms map[string]backend.ReplicaMark) bool {
		ms[owner] = backend.ReplicaMark{Ready: interval, Seen: now.UnixNano()}
		return true
	})
}

// Replicas reads every marker.
func (b *Backend) Replicas(ctx context.Context) (map[string]backend.ReplicaMark, error) {
	cur, err := b.get(ctx, b.keys.repl)
	if errors.Is(err, memcache.ErrCacheMiss) {
		return nil, nil
	}
	if err != nil {
		return nil, keyErr("replicas", b.keys.repl, err)
	}
	ms, err := decodeMarks(cur.Value)
	if err != nil {
		return nil, keyErr("replicas", b.keys.repl, err)
	}
	return ms, nil
}

// ForgetReplica removes owner's marker.
func (b *Backend) ForgetReplica(ctx context.Context, owner string) error {
	return b.updateMarks(ctx, "forget replica", func(ms map[string]backend.ReplicaMark) bool {
		_, ok := ms[owner]
		delete(ms, owner)
		return ok
	})
}
