// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package redisbackend

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

var prefixSeq atomic.Int64

// newPrefix returns a key prefix no other test uses.
func newPrefix() string { return fmt.Sprintf("t%d", prefixSeq.Add(1)) }

// newBackend returns a started backend with a fresh key prefix, closed at the end.
func newBackend(t testing.TB, addrs []string, retention time.Duration, mutate ...func(*Config)) *Backend {
	t.Helper()
	cfg := NewDefaultConfig()
	cfg.Addrs = addrs
	cfg.KeyPrefix = newPrefix()
	cfg.DialTimeout, cfg.ReadTimeout, cfg.WriteTimeout = 2*time.Second, 2*time.Second, 2*time.Second
	for _, m := range mutate {
		m(&cfg)
	}
	b, err := New(cfg, retention, zaptest.NewLogger(t))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, b.Start(ctx))
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// countHook counts commands and pipelines (each is one network round trip).
type countHook struct{ cmds, pipelines atomic.Int64 }

func (h *countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.cmds.Add(1)
		return next(ctx, cmd)
	}
}

func (h *countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.pipelines.Add(1)
		return next(ctx, cmds)
	}
}

func (h *countHook) roundTrips() int64 { return h.cmds.Load() + h.pipelines.Load() }

func sumUpdate(id series.ID, v int64, now time.Time) series.Update {
	return series.Update{ID: id, Kind: series.KindDeltaSum, Desc: []byte("desc-" + id.String()),
		Point: series.Point{Start: now.Add(-time.Second).UnixNano(), Time: now.UnixNano(), IsInt: true, Int: v}}
}

func histUpdate(id series.ID, i int, now time.Time) series.Update {
	b := make([]uint64, 16)
	b[i%16] = 1
	b[(i*7)%16] += 2
	return series.Update{ID: id, Kind: series.KindDeltaHistogram, Desc: []byte("desc-" + id.String()),
		Point: series.Point{Start: now.Add(-time.Second).UnixNano(), Time: now.UnixNano(), Count: 3, Sum: float64(i) * 0.25,
			HasMin: true, Min: 0.001 * float64(i%100), HasMax: true, Max: float64(i % 1000), Buckets: b}}
}

// applySums applies one delta sum of v for each of ids at t0, as batch.
func applySums(t *testing.T, r *Backend, batch string, v int64, ids ...series.ID) {
	t.Helper()
	ups := make([]series.Update, len(ids))
	for i, id := range ids {
		ups[i] = sumUpdate(id, v, t0)
	}
	require.NoError(t, r.Apply(context.Background(), batch, ups, t0))
}
