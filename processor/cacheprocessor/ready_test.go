// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/tasker-systems/otelcol-tasker/internal/testserver/memcachedtest"
	"github.com/tasker-systems/otelcol-tasker/internal/testserver/redistest"
)

// TestExportWaitsForOtherReplicasReplay: two replicas with their own clients on one
// Redis (AOF). Redis is stopped while both take data (both buffer it), then restarted
// just before an interval boundary, where both replicas try to export at once: the one
// that takes the lock must wait for the other's readiness marker (its replay), so the
// export of that interval holds everything both acknowledged. Before, the exporter read
// what the store held (4 of 6 runs missed points in the black-box run). Five
// rounds, each with its own outage; on a standalone Redis and through a Sentinel (the
// issue's setup: two replicas on Sentinel, the master restarted).
func TestExportWaitsForOtherReplicasReplay(t *testing.T) {
	for _, sentinel := range []bool{false, true} {
		name := "redis"
		if sentinel {
			name = "sentinel"
		}
		t.Run(name, func(t *testing.T) { testExportWaitsForReplay(t, sentinel) })
	}
}

func testExportWaitsForReplay(t *testing.T, sentinel bool) {
	srv := redistest.StartPersistent(t)
	withRedis := redisCfg(srv.Addr, "ready")
	if sentinel {
		sen := redistest.StartSentinel(t, srv)
		withRedis = func(c *Config) {
			redisCfg(sen.Addr, "ready")(c)
			c.Redis.MasterName = redistest.SentinelMaster
		}
	}
	clock := &fakeClock{now: t0}
	sink := &consumertest.MetricsSink{}
	cfg := func(name string) *Config {
		return testCfg(func(c *Config) {
			withRedis(c)
			c.InstanceID = name
			c.Interval, c.ExportTimeout, c.LockTimeout = 4*time.Second, 4*time.Second, 4*time.Second
		})
	}
	procs := []*cacheProcessor{newTestProcessor(t, cfg("a"), sink, clock, nil, nil), newTestProcessor(t, cfg("b"), sink, clock, nil, nil)}
	defer func() {
		for _, p := range procs {
			require.NoError(t, p.Shutdown(context.Background()))
		}
	}()
	var want int64
	send := func(p *cacheProcessor, v int) {
		consume(t, p, newBatch(web1).sum("c", delta, 0, time.Second, v, nil))
		want += int64(v)
	}
	rounds := 5
	if testing.Short() {
		rounds = 2
	}
	for round := 1; round <= rounds; round++ {
		for v := range 5 {
			send(procs[0], v+1)
			send(procs[1], v+1)
		}
		srv.Stop()
		for v := range 20 {
			send(procs[0], 100*round+v)
			send(procs[1], 1000*round+v)
		}
		for _, p := range procs {
			require.Positive(t, p.buf.points(), "round %d: %s buffered", round, p.instance)
		}
		srv.Restart()
		clock.Set(t0.Add(time.Duration(round) * 4 * time.Second))
		var wg sync.WaitGroup
		for _, p := range procs {
			wg.Add(1)
			go func() { defer wg.Done(); p.exportOnce(context.Background(), clock.Now(), false) }()
		}
		wg.Wait()
		require.Len(t, sink.AllMetrics(), round, "round %d: one export of the interval", round)
		got := valueOf(t, sink.AllMetrics()[round-1], "c", nil).IntValue()
		assert.Equal(t, want, got, "round %d: the export after the outage holds every acknowledged point (missing %d)", round, want-got)
	}
}

// TestReplayDescribesAfterStoreLoss: memcached restarts empty while a replica buffers:
// the replayed points carry their descriptors again (the replica had sent them before,
// to the store that lost them), so the next export holds them. Before, they stayed
// "without descriptor" until each series was described again (retention/2 later).
func TestReplayDescribesAfterStoreLoss(t *testing.T) {
	srv := memcachedtest.Start(t)
	clock := &fakeClock{now: t0}
	sink := &consumertest.MetricsSink{}
	p := newTestProcessor(t, testCfg(func(c *Config) {
		memcachedCfg(srv.Addr, "loss")(c)
		c.Temporality = TemporalityDelta
	}), sink, clock, nil, nil)
	defer func() { require.NoError(t, p.Shutdown(context.Background())) }()
	consume(t, p, newBatch(web1).sum("c", delta, 0, time.Second, 5, nil))
	clock.Set(t0.Add(30 * time.Second))
	p.exportOnce(context.Background(), clock.Now(), false)
	srv.Stop()
	consume(t, p, newBatch(web1).sum("c", delta, 30*time.Second, 31*time.Second, 7, nil))
	require.Positive(t, p.buf.points())
	srv.Restart() // empty
	clock.Set(t0.Add(60 * time.Second))
	p.exportOnce(context.Background(), clock.Now(), false)
	require.Len(t, sink.AllMetrics(), 2)
	assert.Equal(t, int64(5), valueOf(t, sink.AllMetrics()[0], "c", nil).IntValue())
	assert.Equal(t, int64(7), valueOf(t, sink.AllMetrics()[1], "c", nil).IntValue(), "the buffered point, described again")
}
