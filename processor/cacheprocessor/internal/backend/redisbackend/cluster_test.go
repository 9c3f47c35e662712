// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package redisbackend

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/otelcol-tasker/internal/testserver/redistest"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend/backendtest"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// errHook records every command error (to catch CROSSSLOT and friends).
type errHook struct{ errs atomic.Value }

func (h *errHook) record(cmds ...redis.Cmder) {
	for _, c := range cmds {
		if err := c.Err(); err != nil && err != redis.Nil {
			prev, _ := h.errs.Load().([]string)
			h.errs.Store(append(prev, err.Error()))
		}
	}
}
func (h *errHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *errHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		h.record(cmd)
		return err
	}
}

func (h *errHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		h.record(cmds...)
		return err
	}
}

func TestCluster(t *testing.T) {
	cl := redistest.StartCluster(t, 3)

	t.Run("Conformance", func(t *testing.T) {
		backendtest.Run(t, func(t *testing.T, retention time.Duration) backend.Backend {
			return newBackend(t, cl.Addrs, retention)
		})
	})

	t.Run("Info", func(t *testing.T) {
		b := newBackend(t, cl.Addrs, time.Hour)
		assert.Equal(t, "cluster", b.Info()["redis_mode"])
		assert.Equal(t, ModeCluster, b.Info()["mode"])
	})

	t.Run("Layout", func(t *testing.T) {
		ctx := context.Background()
		before := cl.DBSizes(t)
		b := newBackend(t, cl.Addrs, time.Hour)
		hook := &errHook{}
		b.Client().AddHook(hook)
		ups := make([]series.Update, 0, 320)
		for i := range 320 { // 20 series in each of the 16 shards
			ups = append(ups, sumUpdate(series.ID(i), 1, t0))
		}
		require.NoError(t, b.Apply(ctx, "b1", ups, t0))
		require.NoError(t, b.Apply(ctx, "b1", ups, t0)) // idempotent per shard
		require.NoError(t, b.ExtendTTL(ctx, []series.ID{1, 2, 3, 4, 5}, t0.Add(2*time.Hour)))
		l, ok, err := b.AcquireLock(ctx, "a", time.Minute)
		require.NoError(t, err)
		require.True(t, ok)
		states, missing, err := b.Snapshot(ctx, t0)
		require.NoError(t, err)
		require.Zero(t, missing)
		require.Len(t, states, 320)
		for _, s := range states {
			require.Equal(t, int64(1), s.Point.Int)
		}
		require.NoError(t, b.MarkExported(ctx, l, t0.UnixNano(), states))
		require.NoError(t, l.Release(ctx))
		n, err := b.Expire(ctx, t0.Add(90*time.Minute))
		require.NoError(t, err)
		assert.Equal(t, 315, n)

		// Every key of a shard is in its shard's slot; shards spread over the masters.
		after := cl.DBSizes(t)
		nodesWithKeys := 0
		for i := range after {
			if after[i] > before[i] {
				nodesWithKeys++
			}
		}
		assert.Greater(t, nodesWithKeys, 1, "keys on more than one master: %v → %v", before, after)
		slots := map[string]bool{}
		for _, sk := range b.shards {
			slot, err := cl.Nodes[0].Do("CLUSTER", "KEYSLOT", sk.keys[0])
			require.NoError(t, err)
			slots[slot] = true
			for _, k := range append(sk.keys[1:], sk.xt, sk.batch+"b1") {
				s2, err := cl.Nodes[0].Do("CLUSTER", "KEYSLOT", k)
				require.NoError(t, err)
				require.Equal(t, slot, s2, k)
			}
		}
		assert.Greater(t, len(slots), 8, "16 shards spread over many slots")
		errs, _ := hook.errs.Load().([]string)
		for _, e := range errs {
			assert.NotContains(t, e, "CROSSSLOT")
		}
		assert.Empty(t, errs)
	})

	t.Run("ScriptCacheFlushedOnANode", func(t *testing.T) {
		ctx := context.Background()
		b := newBackend(t, cl.Addrs, time.Hour)
		for _, n := range cl.Nodes {
			_, err := n.Do("SCRIPT", "FLUSH")
			require.NoError(t, err)
		}
		ups := make([]series.Update, 0, 64)
		for i := range 64 {
			ups = append(ups, sumUpdate(series.ID(i), 2, t0))
		}
		require.NoError(t, b.Apply(ctx, "x", ups, t0))
		states, _, err := b.Snapshot(ctx, t0)
		require.NoError(t, err)
		require.Len(t, states, 64)
	})

	t.Run("MergeAllKinds", func(t *testing.T) {
		mergeMatchesMemoryAddrs(t, cl.Addrs, 99)
	})
}
