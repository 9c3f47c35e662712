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
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/internal/testserver/memcachedtest"
	"github.com/tasker-systems/otelcol-tasker/internal/testserver/redistest"
)

// sharedBackends are the distributed stores max_series must hold in.
var sharedBackends = []struct {
	name  string
	setup func(t *testing.T, prefix string) func(*Config)
}{
	{"redis", func(t *testing.T, prefix string) func(*Config) { return redisCfg(redistest.Start(t).Addr, prefix) }},
	{"memcached", func(t *testing.T, prefix string) func(*Config) {
		return memcachedCfg(memcachedtest.Start(t).Addr, prefix)
	}},
}

// capCfg: max_series n, retention 6 s (interval 1 s).
func capCfg(withBackend func(*Config), n int, instance string) *Config {
	return testCfg(func(c *Config) {
		withBackend(c)
		c.MaxSeries = n
		c.InstanceID = instance
		c.Interval, c.ExportTimeout, c.SafetyMargin, c.LockTimeout, c.Retention = time.Second, time.Second, 0, time.Second, 6*time.Second
	})
}

// seriesValues is the exported value of every series of metric c, by its "k" attribute
// ("overflow" for the overflow series).
func seriesValues(t *testing.T, md pmetric.Metrics) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				for _, dp := range m.Sum().DataPoints().All() {
					k := "overflow"
					if v, ok := dp.Attributes().Get("k"); ok {
						k = v.AsString()
					} else {
						_, ok := dp.Attributes().Get(OverflowAttribute)
						require.True(t, ok, "a point neither of a series nor of the overflow series")
					}
					out[k] = dp.IntValue()
				}
			}
		}
	}
	return out
}

// TestMaxSeriesFreedByExpiry: cap 3, retention 6 s. a, b, c expire; d, e, f then get
// series of their own (before, a replica counted every series it had ever seen, for
// its lifetime, and d, e, f all went to overflow).
func TestMaxSeriesFreedByExpiry(t *testing.T) {
	for _, tc := range sharedBackends {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{now: t0}
			sink := &consumertest.MetricsSink{}
			p := newTestProcessor(t, capCfg(tc.setup(t, "churn"), 3, "r1"), sink, clock, nil, nil)
			defer func() { require.NoError(t, p.Shutdown(context.Background())) }()
			for _, k := range []string{"a", "b", "c"} {
				consume(t, p, newBatch(web1).sum("c", delta, 0, time.Second, 10, map[string]any{"k": k}))
			}
			clock.Set(t0.Add(time.Second))
			p.exportOnce(context.Background(), clock.Now(), false)
			assert.Equal(t, map[string]int64{"a": 10, "b": 10, "c": 10}, seriesValues(t, lastExport(t, sink)))

			clock.Set(t0.Add(7 * time.Second)) // a, b, c expired at t0+6s
			p.exportOnce(context.Background(), clock.Now(), false)
			for _, k := range []string{"d", "e", "f"} {
				consume(t, p, newBatch(web1).sum("c", delta, 7*time.Second, 8*time.Second, 10, map[string]any{"k": k}))
			}
			clock.Set(t0.Add(8 * time.Second))
			p.exportOnce(context.Background(), clock.Now(), false)
			assert.Equal(t, map[string]int64{"d": 10, "e": 10, "f": 10}, seriesValues(t, lastExport(t, sink)), "expiry freed room: no overflow")
			p.mu.Lock()
			assert.LessOrEqual(t, len(p.known.m), 3, "the replica forgot the expired series")
			p.mu.Unlock()
		})
	}
}

// TestMaxSeriesAcrossReplicas: three replicas with their own clients each introduce 5
// series at once under cap 5: the shared aggregate holds 5 series and the overflow
// series, with the exact total (before, each replica counted only its own series and
// the aggregate held 15).
func TestMaxSeriesAcrossReplicas(t *testing.T) {
	for _, tc := range sharedBackends {
		t.Run(tc.name, func(t *testing.T) {
			withBackend := tc.setup(t, "fleetcap")
			clock := &fakeClock{now: t0}
			sink := &consumertest.MetricsSink{}
			procs := make([]*cacheProcessor, 3)
			for i := range procs {
				procs[i] = newTestProcessor(t, capCfg(withBackend, 5, fmt.Sprintf("r%d", i)), sink, clock, nil, nil)
			}
			for round := 1; round <= 2; round++ {
				var wg sync.WaitGroup
				for i, p := range procs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for s := range 5 {
							consume(t, p, newBatch(web1).sum("c", delta, 0, time.Second, i+1, map[string]any{"k": fmt.Sprintf("r%d-%d", i, s)}))
						}
					}()
				}
				wg.Wait()
			}
			clock.Set(t0.Add(time.Second))
			procs[0].exportOnce(context.Background(), clock.Now(), false)
			got := seriesValues(t, lastExport(t, sink))
			var total int64
			for _, v := range got {
				total += v
			}
			assert.Len(t, got, 6, "5 series and the overflow series: %v", got)
			assert.Contains(t, got, "overflow")
			assert.Equal(t, int64(2*5*(1+2+3)), total, "every point counted once: %v", got)
			for k, v := range got {
				if k != "overflow" {
					var r, s int
					_, err := fmt.Sscanf(k, "r%d-%d", &r, &s)
					require.NoError(t, err)
					assert.Equal(t, int64(2*(r+1)), v, "series %s holds both its points", k)
				}
			}
			for _, p := range procs {
				require.NoError(t, p.Shutdown(context.Background()))
			}
		})
	}
}
