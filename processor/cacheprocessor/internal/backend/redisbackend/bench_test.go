// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package redisbackend

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tasker-systems/otelcol-tasker/internal/testserver/redistest"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

const benchBatch = 1000

// benchID spreads index i over the ID space (and so over the shards).
func benchID(i int) series.ID { return series.ID(uint64(i+1) * 0x9E3779B97F4A7C15) }

// BenchmarkApply: batches of 1,000 updates cycling over 10k or 100k distinct series that
// already exist (steady state: no descriptors sent). Reports points/s, round trips per
// batch and allocs/op.
func BenchmarkApply(b *testing.B) {
	srv := redistest.Start(b)
	ctx := context.Background()
	type variant struct {
		kind      string
		series    int
		maxSeries int // > 0: the max_series registry is kept up to date too
	}
	variants := []variant{{"sum", 10_000, 0}, {"cumulative", 10_000, 0}, {"cumulative-clock", 10_000, 0}, {"sum", 100_000, 0}, {"hist", 10_000, 0}, {"hist", 100_000, 0}, {"sum", 10_000, 100_000}}
	for _, v := range variants {
		name := fmt.Sprintf("%s/series=%d", v.kind, v.series)
		if v.maxSeries > 0 {
			name += fmt.Sprintf("/max_series=%d", v.maxSeries)
		}
		b.Run(name, func(b *testing.B) {
			be := newBackend(b, []string{srv.Addr}, time.Hour)
			be.SetMaxSeries(v.maxSeries)
			now := time.Now()
			mk := func(i int) series.Update {
				switch v.kind {
				case "sum":
					return sumUpdate(benchID(i), int64(i%7), now)
				case "cumulative", "cumulative-clock":
					u := sumUpdate(benchID(i), int64(i%7), now)
					u.Kind = series.KindCumulativeSum
					return u
				}
				return histUpdate(benchID(i), i, now)
			}
			batches := make([][]series.Update, v.series/benchBatch)
			for j := range batches {
				batches[j] = make([]series.Update, benchBatch)
				for k := range batches[j] {
					batches[j][k] = mk(j*benchBatch + k)
				}
				if err := be.Apply(ctx, "init-"+strconv.Itoa(j), batches[j], now); err != nil {
					b.Fatal(err)
				}
				for k := range batches[j] {
					batches[j][k].Desc = nil
				}
			}
			hook := &countHook{}
			be.Client().AddHook(hook)
			_, _ = srv.Do("CONFIG", "RESETSTAT")
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				at := now
				if v.kind == "cumulative-clock" {
					at = time.Now() // expiries and last updates move with every batch, as in the processor
				}
				if err := be.Apply(ctx, strconv.Itoa(i), batches[i%len(batches)], at); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "points/s")
			b.ReportMetric(float64(hook.roundTrips())/float64(b.N), "roundtrips/batch")
			b.ReportMetric(serverMicros(b, srv)/float64(b.N*benchBatch), "server-µs/point")
		})
	}
}

// serverMicros is the server time since the last CONFIG RESETSTAT (INFO commandstats) of
// the scripts (the commands they call are inside their time), or, without scripts, of
// plain HSETs (the baseline's).
func serverMicros(b *testing.B, srv *redistest.Server) float64 {
	info, err := srv.Do("INFO", "commandstats")
	if err != nil {
		b.Fatal(err)
	}
	usec := map[string]float64{}
	for line := range strings.Lines(info) {
		name, rest, _ := strings.Cut(strings.TrimSpace(line), ":")
		for _, f := range strings.Split(rest, ",") {
			if k, v, _ := strings.Cut(f, "="); k == "usec" {
				usec[strings.TrimPrefix(name, "cmdstat_")], _ = strconv.ParseFloat(v, 64)
			}
		}
	}
	if s := usec["evalsha"] + usec["eval"]; s > 0 {
		return s
	}
	return usec["hset"]
}

// BenchmarkRedisBaselineHSET: what the same server does with plain HSETs, 1,000 per
// pipelined round trip (spread over 16 hashes, values as long as our stored sums).
func BenchmarkRedisBaselineHSET(b *testing.B) {
	srv := redistest.Start(b)
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer c.Close()
	val := "118ea55ac4e7b4000 18ea55acc5b0d400 18ea55ac9938326a 18ea55ab5a4c678d i5"
	keys := make([]string, 16)
	for i := range keys {
		keys[i] = "{base:" + strconv.Itoa(i) + "}:v"
	}
	fields := make([]string, 10_000)
	for i := range fields {
		fields[i] = benchID(i).String()
	}
	_, _ = srv.Do("CONFIG", "RESETSTAT")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pipe := c.Pipeline()
		for j := range benchBatch {
			f := (i*benchBatch + j) % len(fields)
			pipe.HSet(ctx, keys[f%16], fields[f], val)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "points/s")
	b.ReportMetric(serverMicros(b, srv)/float64(b.N*benchBatch), "server-µs/point")
}

// BenchmarkLayout compares, in Lua, the two value layouts for 1,000 series over 16
// shards: one hash per shard (field = series id: one HMGET and one HSET per shard) versus
// one hash per series (two calls per series, and a key per series).
func BenchmarkLayout(b *testing.B) {
	srv := redistest.Start(b)
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer c.Close()
	val := "118ea55ac4e7b4000 18ea55acc5b0d400 18ea55ac9938326a 18ea55ab5a4c678d i5"
	shardHash := redis.NewScript(`local ids = {}
for i = 1, #ARGV do ids[i] = ARGV[i] end
local cur = redis.call('HMGET', KEYS[1], unpack(ids))
local kv = {}
for i = 1, #ids do kv[#kv + 1] = ids[i]; kv[#kv + 1] = (cur[i] or '') .. 'x' end
for i = 2, #kv, 2 do kv[i] = string.sub(kv[i], -80) end
redis.call('HSET', KEYS[1], unpack(kv))
return #ids`)
	perSeries := redis.NewScript(`for i = 1, #KEYS do
  local cur = redis.call('HMGET', KEYS[i], 'v', 'f')
  redis.call('HSET', KEYS[i], 'v', string.sub((cur[1] or '') .. 'x', -80), 'l', ARGV[1])
end
return #KEYS`)
	_ = val
	for _, sc := range []*redis.Script{shardHash, perSeries} {
		if err := sc.Load(ctx, c).Err(); err != nil {
			b.Fatal(err)
		}
	}
	ids := make([][]any, 16)
	keys := make([][]string, 16)
	for i := range 1000 {
		s := i % 16
		id := benchID(i).String()
		ids[s] = append(ids[s], id)
		keys[s] = append(keys[s], "{lay:"+strconv.Itoa(s)+"}:v:"+id)
	}
	run := func(b *testing.B, one func(pipe redis.Pipeliner, s int)) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			pipe := c.Pipeline()
			for s := range 16 {
				one(pipe, s)
			}
			if _, err := pipe.Exec(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "points/s")
	}
	b.Run("hash-per-shard", func(b *testing.B) {
		run(b, func(pipe redis.Pipeliner, s int) {
			shardHash.Run(ctx, pipe, []string{"{lay:" + strconv.Itoa(s) + "}:v"}, ids[s]...)
		})
	})
	b.Run("hash-per-series", func(b *testing.B) {
		run(b, func(pipe redis.Pipeliner, s int) { perSeries.Run(ctx, pipe, keys[s], "1") })
	})
	mem := func(pattern string) string {
		info, _ := srv.Do("MEMORY", "USAGE", pattern)
		return info
	}
	var perShardBytes, perSeriesBytes int
	for s := range 16 {
		n, _ := strconv.Atoi(mem("{lay:" + strconv.Itoa(s) + "}:v"))
		perShardBytes += n
		for _, k := range keys[s] {
			m, _ := strconv.Atoi(mem(k))
			perSeriesBytes += m
		}
	}
	if perShardBytes > 0 && perSeriesBytes > 0 {
		b.Logf("memory for 1,000 series: hash per shard %d bytes, hash per series %d bytes (%.1fx)",
			perShardBytes, perSeriesBytes, float64(perSeriesBytes)/float64(perShardBytes))
	}
}
