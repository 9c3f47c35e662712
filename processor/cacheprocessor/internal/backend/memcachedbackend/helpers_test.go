// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package memcachedbackend

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

var prefixSeq atomic.Int64

// newPrefix is a key prefix no other backend of this test binary (or of a concurrent
// run against the same server) uses.
func newPrefix() string { return fmt.Sprintf("t%d-%d", os.Getpid(), prefixSeq.Add(1)) }

func testConfig(addrs ...string) Config {
	cfg := NewDefaultConfig()
	cfg.Servers = addrs
	cfg.KeyPrefix = newPrefix()
	return cfg
}

// newBackend returns a started backend on addrs with a fresh prefix, closed at cleanup.
func newBackend(t testing.TB, addrs []string, retention time.Duration, mutate ...func(*Config)) *Backend {
	t.Helper()
	cfg := testConfig(addrs...)
	for _, m := range mutate {
		m(&cfg)
	}
	b, err := New(cfg, retention, zap.NewNop())
	require.NoError(t, err)
	require.NoError(t, b.Start(context.Background()))
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// rawClient is a plain gomemcache client, to look at and tamper with what is stored.
func rawClient(addrs ...string) *memcache.Client {
	c := memcache.New(addrs...)
	c.Timeout = 2 * time.Second
	return c
}

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func sumUp(id series.ID, v int64, ts time.Time) series.Update {
	return series.Update{ID: id, Kind: series.KindDeltaSum, Desc: []byte(fmt.Sprintf("desc-%d", id)),
		Point: series.Point{Start: ts.Add(-time.Second).UnixNano(), Time: ts.UnixNano(), IsInt: true, Int: v}}
}

// totals returns each series' Int at now.
func totals(t testing.TB, b *Backend, now time.Time) map[series.ID]int64 {
	t.Helper()
	states, missing, err := b.Snapshot(context.Background(), now)
	require.NoError(t, err)
	require.Zero(t, missing)
	out := map[series.ID]int64{}
	for _, s := range states {
		out[s.ID] = s.Point.Int
	}
	return out
}
