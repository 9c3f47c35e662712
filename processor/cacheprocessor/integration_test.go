// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/tasker-systems/otelcol-tasker/internal/testserver/memcachedtest"
	"github.com/tasker-systems/otelcol-tasker/internal/testserver/redistest"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/metadata"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/metadatatest"
)

// Integration tests: processors configured like replicas (each with its own client of
// a real redis-server or memcached on loopback), no shared Go objects between them.

func redisCfg(addr, prefix string) func(*Config) {
	return func(c *Config) {
		c.Backend = BackendRedis
		c.Redis.Addrs = []string{addr}
		c.Redis.KeyPrefix = prefix
		c.Redis.DialTimeout, c.Redis.ReadTimeout, c.Redis.WriteTimeout = 300*time.Millisecond, 300*time.Millisecond, 300*time.Millisecond
	}
}

func memcachedCfg(addr, prefix string) func(*Config) {
	return func(c *Config) {
		c.Backend = BackendMemcached
		c.Memcached.Servers = []string{addr}
		c.Memcached.KeyPrefix = prefix
		c.Memcached.Timeout = 300 * time.Millisecond
	}
}

// TestReplicasExportOncePerIntervalReal: three replicas on one store; for 20 intervals
// every replica takes data and tries to export at the same moment: each interval is
// exported exactly once, and the exported total is exact.
func TestReplicasExportOncePerIntervalReal(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) func(*Config)
	}{
		{"redis", func(t *testing.T) func(*Config) { return redisCfg(redistest.Start(t).Addr, "replicas") }},
		{"redis cluster of 3 masters", func(t *testing.T) func(*Config) {
			cl := redistest.StartCluster(t, 3)
			return func(c *Config) {
				redisCfg(cl.Addrs[0], "replicas")(c)
				c.Redis.Addrs, c.Redis.Cluster = cl.Addrs, true
				c.Redis.ReadTimeout, c.Redis.WriteTimeout = time.Second, time.Second
			}
		}},
		{"memcached", func(t *testing.T) func(*Config) { return memcachedCfg(memcachedtest.Start(t).Addr, "replicas") }},
		{"redis with apply_interval", func(t *testing.T) func(*Config) {
			withRedis := redisCfg(redistest.Start(t).Addr, "coalesced")
			return func(c *Config) { withRedis(c); c.ApplyInterval = 20 * time.Millisecond }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			withBackend := tc.setup(t)
			clock := &fakeClock{now: t0}
			sinks := make([]*consumertest.MetricsSink, 3)
			procs := make([]*cacheProcessor, 3)
			for i := range procs {
				sinks[i] = &consumertest.MetricsSink{}
				procs[i] = newTestProcessor(t, testCfg(func(c *Config) {
					withBackend(c)
					c.InstanceID = fmt.Sprintf("replica-%d", i)
				}), sinks[i], clock, nil, nil)
			}
			var want int64
			exports := func() (n int) {
				for _, s := range sinks {
					n += len(s.AllMetrics())
				}
				return n
			}
			for interval := 1; interval <= 20; interval++ {
				for i, p := range procs {
					v := interval*10 + i
					want += int64(v)
					consume(t, p, newBatch(web1).sum("c", delta, 0, time.Second, v, map[string]any{"k": "v"}))
				}
				clock.Set(t0.Add(time.Duration(interval) * 30 * time.Second))
				var wg sync.WaitGroup
				for _, p := range procs {
					wg.Add(1)
					go func() { defer wg.Done(); p.exportOnce(context.Background(), clock.Now(), false) }()
				}
				wg.Wait()
				require.Equal(t, interval, exports(), "interval %d: exactly one export per interval", interval)
			}
			var last pmetric.Metrics
			var lastTS int64
			for _, s := range sinks {
				for _, md := range s.AllMetrics() {
					if v := int64(valueOf(t, md, "c", map[string]any{"k": "v"}).Timestamp()); v > lastTS {
						lastTS, last = v, md
					}
				}
			}
			assert.Equal(t, want, valueOf(t, last, "c", map[string]any{"k": "v"}).IntValue(), "the total of all replicas, exactly")
			for _, p := range procs {
				require.NoError(t, p.Shutdown(context.Background()))
			}
		})
	}
}

// TestRedisOutageBuffersAndReplays: Redis is killed while data keeps arriving; the
// batches are buffered, replayed when Redis is back (AOF keeps what it had), and the
// next export holds the exact total. With a small buffer, what does not fit is dropped
// and counted.
func TestRedisOutageBuffersAndReplays(t *testing.T) {
	srv := redistest.StartPersistent(t)
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	clock := &fakeClock{now: t0}
	sink := &consumertest.MetricsSink{}
	cfg := testCfg(func(c *Config) {
		redisCfg(srv.Addr, "outage")(c)
		c.MaxBufferedPoints = 5
	})
	require.NoError(t, cfg.Validate())
	p, err := newCacheProcessor(metadatatest.NewSettings(tel), cfg, sink)
	require.NoError(t, err)
	p.now = clock.Now
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, p.Shutdown(context.Background())) }()

	var want int64
	send := func(v int) {
		consume(t, p, newBatch(web1).sum("c", delta, 0, time.Second, v, nil))
	}
	for v := 1; v <= 10; v++ {
		send(v)
		want += int64(v)
	}
	srv.Stop()
	// 8 one-point batches while Redis is down: 5 fit the buffer, 3 are dropped.
	for v := 100; v < 108; v++ {
		send(v)
		if v < 105 {
			want += int64(v)
		}
	}
	assert.Equal(t, 5, p.buf.points())
	srv.Restart()
	clock.Set(t0.Add(30 * time.Second))
	p.exportOnce(context.Background(), clock.Now(), false)
	require.Len(t, sink.AllMetrics(), 1)
	assert.Equal(t, want, valueOf(t, sink.AllMetrics()[0], "c", nil).IntValue(), "everything buffered was replayed once")
	assert.Equal(t, 0, p.buf.points())

	metadatatest.AssertEqualProcessorTaskerCacheBufferDroppedPoints(t, tel,
		[]metricdata.DataPoint[int64]{{Value: 3}}, metricdatatest.IgnoreTimestamp())
	_ = metadata.Type
}

// TestAutoPicksReachableBackend: auto takes Redis when it answers, memcached when only
// memcached does, and memory when neither does.
func TestAutoPicksReachableBackend(t *testing.T) {
	redisAddr := redistest.Start(t).Addr
	mcAddr := memcachedtest.Start(t).Addr
	dead := "127.0.0.1:1"
	for _, tc := range []struct {
		name, redis, memcached, want string
	}{
		{"redis first", redisAddr, mcAddr, "distributed_atomic"},
		{"memcached next", dead, mcAddr, "distributed_basic"},
		{"memory last", dead, dead, "local_only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testCfg(func(c *Config) {
				c.Backend = BackendAuto
				c.Redis.Addrs, c.Memcached.Servers = []string{tc.redis}, []string{tc.memcached}
				c.Redis.DialTimeout, c.Memcached.Timeout = 200*time.Millisecond, 200*time.Millisecond
			})
			p := newTestProcessor(t, cfg, &consumertest.MetricsSink{}, &fakeClock{now: t0}, nil, nil)
			assert.Equal(t, tc.want, string(p.be.Strategy()))
			require.NoError(t, p.Shutdown(context.Background()))
		})
	}
}

// TestRedisUnreachableAtStart: backend redis that cannot be reached fails Start with
// the address in the error (the collector does not start half-configured).
func TestRedisUnreachableAtStart(t *testing.T) {
	cfg := testCfg(redisCfg("127.0.0.1:1", "x"))
	p, err := newCacheProcessor(metadatatest.NewSettings(componenttest.NewTelemetry()), cfg, &consumertest.MetricsSink{})
	require.NoError(t, err)
	err = p.Start(context.Background(), componenttest.NewNopHost())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "127.0.0.1:1")
	require.NoError(t, p.Shutdown(context.Background()))
}

// TestApplyIntervalCoalescesAndFlushes: with apply_interval, 200 increments of one
// counter reach Redis as merged updates (by the loop, without an export) with the
// exact total.
func TestApplyIntervalCoalescesAndFlushes(t *testing.T) {
	srv := redistest.Start(t)
	cfg := testCfg(func(c *Config) {
		redisCfg(srv.Addr, "coalesce")(c)
		c.ApplyInterval = 30 * time.Millisecond
	})
	p := newTestProcessor(t, cfg, &consumertest.MetricsSink{}, &fakeClock{now: t0}, nil, nil)
	defer func() { require.NoError(t, p.Shutdown(context.Background())) }()
	for range 200 {
		consume(t, p, newBatch(web1).sum("c", delta, 0, time.Second, 2, nil))
	}
	require.Eventually(t, func() bool {
		states, _, err := p.be.Snapshot(context.Background(), t0)
		return err == nil && len(states) == 1 && states[0].Point.Int == 400
	}, 5*time.Second, 10*time.Millisecond, "the apply loop merged 200 points into one series, total 400")
	p.mu.Lock()
	defer p.mu.Unlock()
	assert.Zero(t, p.pend.len())
}
