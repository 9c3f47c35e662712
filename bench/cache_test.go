// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/intervalprocessor"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/tasker-systems/otelcol-tasker/internal/testserver"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor"
)

// cacheBatches builds the aggregation workload: cumulative monotonic int sums (what
// contrib's intervalprocessor aggregates), one resource, one metric, `series` distinct
// attribute sets, cut into batches of 1,000 points that cycle over all of them.
func cacheBatches(series int) []pmetric.Metrics {
	start := pcommon.NewTimestampFromTime(time.Unix(1_795_000_000, 0))
	out := make([]pmetric.Metrics, series/batch)
	for j := range out {
		md := pmetric.NewMetrics()
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr("service.name", "tasker")
		rm.Resource().Attributes().PutStr("service.instance.id", "web-1")
		sm := rm.ScopeMetrics().AppendEmpty()
		sm.Scope().SetName("taskerreceiver")
		m := sm.Metrics().AppendEmpty()
		m.SetName("tasker.step.outcomes")
		sum := m.SetEmptySum()
		sum.SetIsMonotonic(true)
		sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		for k := range batch {
			i := j*batch + k
			dp := sum.DataPoints().AppendEmpty()
			dp.SetStartTimestamp(start)
			dp.SetTimestamp(start + pcommon.Timestamp(time.Second))
			dp.SetIntValue(int64(i % 97))
			dp.Attributes().PutStr("task.name", "order_"+strconv.Itoa(i%50))
			dp.Attributes().PutStr("step.name", "step_"+strconv.Itoa(i/50))
			dp.Attributes().PutStr("status", "completed")
		}
		out[j] = md
	}
	return out
}

// BenchmarkCacheAggregate measures ConsumeMetrics of 1,000-point batches into an
// aggregate of 10k or 100k series (steady state: every series exists), for tasker_cache
// on memory and on a real redis-server, and contrib's intervalprocessor on the same data.
// The export interval is an hour: this is the aggregation path alone.
func BenchmarkCacheAggregate(b *testing.B) {
	var redisAddr string
	impls := []struct {
		name    string
		factory processor.Factory
		config  func() component.Config
	}{
		{"tasker_cache_memory", cacheprocessor.NewFactory(), func() component.Config {
			cfg := cacheprocessor.NewFactory().CreateDefaultConfig().(*cacheprocessor.Config)
			cfg.Interval, cfg.Retention, cfg.MaxSeries = time.Hour, 3*time.Hour, 0
			return cfg
		}},
		{"tasker_cache_redis", cacheprocessor.NewFactory(), func() component.Config {
			cfg := cacheprocessor.NewFactory().CreateDefaultConfig().(*cacheprocessor.Config)
			cfg.Backend = cacheprocessor.BackendRedis
			cfg.Redis.Addrs = []string{redisAddr}
			cfg.Redis.KeyPrefix = fmt.Sprintf("bench%d", time.Now().UnixNano())
			cfg.Interval, cfg.Retention, cfg.MaxSeries = time.Hour, 3*time.Hour, 0
			return cfg
		}},
		{"tasker_cache_redis_apply1s", cacheprocessor.NewFactory(), func() component.Config {
			cfg := cacheprocessor.NewFactory().CreateDefaultConfig().(*cacheprocessor.Config)
			cfg.Backend = cacheprocessor.BackendRedis
			cfg.Redis.Addrs = []string{redisAddr}
			cfg.Redis.KeyPrefix = fmt.Sprintf("bench%d", time.Now().UnixNano())
			cfg.Interval, cfg.Retention, cfg.MaxSeries = time.Hour, 3*time.Hour, 0
			cfg.ApplyInterval = time.Second
			return cfg
		}},
		{"contrib_interval", intervalprocessor.NewFactory(), func() component.Config {
			cfg := intervalprocessor.NewFactory().CreateDefaultConfig().(*intervalprocessor.Config)
			cfg.Interval = time.Hour
			return cfg
		}},
	}
	if testserver.Available("redis-server") {
		redisAddr = startRedis(b)
	}
	// 1,000 series: every batch touches each series once (hot counters, as Tasker's
	// outcome counters are); 10k and 100k: each series once per 10 or 100 batches.
	for _, n := range []int{1_000, 10_000, 100_000} {
		batches := cacheBatches(n)
		if n == 10_000 {
			// The server's own speed, in the same run: the peer of the Redis rows.
			b.Run(fmt.Sprintf("series=%d/redis_benchmark_hset", n), func(b *testing.B) {
				if redisAddr == "" {
					testserver.Binary(b, "redis-server")
				}
				redisBenchmarkHSET(b, redisAddr)
			})
		}
		for _, im := range impls {
			redis := strings.HasPrefix(im.name, "tasker_cache_redis")
			if (n == 100_000 && redis) || (n == 1_000 && im.name == "tasker_cache_redis") {
				continue // make bench's budget: Redis at 10k series, and apply1s on hot series
			}
			b.Run(fmt.Sprintf("series=%d/%s", n, im.name), func(b *testing.B) {
				if strings.HasPrefix(im.name, "tasker_cache_redis") && redisAddr == "" {
					testserver.Binary(b, "redis-server") // skips, or fails under CI=true
				}
				ctx := context.Background()
				p, err := im.factory.CreateMetrics(ctx, processortest.NewNopSettings(im.factory.Type()), im.config(), &consumertest.MetricsSink{})
				must(b, err)
				must(b, p.Start(ctx, componenttest.NewNopHost()))
				// intervalprocessor consumes its input in place (MutatesData): every call
				// gets a fresh copy, made outside the timed region.
				next := func(i int) pmetric.Metrics {
					md := pmetric.NewMetrics()
					batches[i%len(batches)].CopyTo(md)
					return md
				}
				for i := range batches { // warm up: every series exists
					must(b, p.ConsumeMetrics(ctx, next(i)))
				}
				redis := strings.HasPrefix(im.name, "tasker_cache_redis")
				if redis {
					redisCLI(b, redisAddr, "CONFIG", "RESETSTAT")
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					md := next(i)
					b.StartTimer()
					must(b, p.ConsumeMetrics(ctx, md))
				}
				b.StopTimer()
				b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "items/s")
				if redis {
					b.ReportMetric(scriptMicros(b, redisAddr)/float64(b.N*batch), "server-µs/point")
				}
				// Not timed: the final export, and for apply1s what is still pending (at most
				// 10,000 series, applied at once whenever that many are pending).
				must(b, p.Shutdown(ctx))
			})
		}
	}
}

// redisBenchmarkHSET runs `redis-benchmark -P 64 -t hset` against addr: b.N × 1,000
// HSETs, and reports the requests per second redis-benchmark measured as items/s (one
// item = one HSET, the peer of one point).
func redisBenchmarkHSET(b *testing.B, addr string) {
	host, port, err := net.SplitHostPort(addr)
	must(b, err)
	n := max(b.N*batch, 10_000)
	out, err := exec.Command(testserver.Binary(b, "redis-benchmark"), "-h", host, "-p", port,
		"-P", "64", "-t", "hset", "-n", strconv.Itoa(n), "--csv").Output()
	must(b, err)
	// --csv: a header line, then "HSET","<rps>",...
	for line := range strings.Lines(string(out)) {
		f := strings.Split(strings.TrimSpace(line), ",")
		if len(f) >= 2 && strings.Trim(f[0], `"`) == "HSET" {
			rps, err := strconv.ParseFloat(strings.Trim(f[1], `"`), 64)
			must(b, err)
			b.ReportMetric(rps, "items/s")
			return
		}
	}
	b.Fatalf("redis-benchmark printed no HSET result: %s", out)
}

func redisCLI(b *testing.B, addr string, args ...string) string {
	host, port, err := net.SplitHostPort(addr)
	must(b, err)
	out, err := exec.Command(testserver.Binary(b, "redis-cli"), append([]string{"-h", host, "-p", port}, args...)...).Output()
	must(b, err)
	return string(out)
}

// scriptMicros is the server time of the scripts (EVALSHA and EVAL: the commands they
// call are inside it) since CONFIG RESETSTAT, from INFO commandstats.
func scriptMicros(b *testing.B, addr string) float64 {
	total := 0.0
	for line := range strings.Lines(redisCLI(b, addr, "INFO", "commandstats")) {
		name, rest, _ := strings.Cut(strings.TrimSpace(line), ":")
		if name != "cmdstat_evalsha" && name != "cmdstat_eval" {
			continue
		}
		for _, f := range strings.Split(rest, ",") {
			if k, v, _ := strings.Cut(f, "="); k == "usec" {
				us, err := strconv.ParseFloat(v, 64)
				must(b, err)
				total += us
			}
		}
	}
	return total
}

// startRedis runs a redis-server (no persistence) on a free loopback port for the
// rest of the benchmark run.
func startRedis(b *testing.B) string {
	port := strconv.Itoa(testserver.FreePort(b))
	cmd := exec.Command(testserver.Binary(b, "redis-server"), "--port", port, "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--protected-mode", "no")
	must(b, cmd.Start())
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := "127.0.0.1:" + port
	for range 200 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.Fatalf("redis-server did not start on %s", addr)
	return ""
}
