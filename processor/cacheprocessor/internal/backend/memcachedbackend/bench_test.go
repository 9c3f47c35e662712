// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package memcachedbackend

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/otelcol-tasker/internal/testserver/memcachedtest"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// BenchmarkApply: batches of 1,000 delta-sum updates over 10,000 series (already
// stored), one memcached on loopback.
func BenchmarkApply(b *testing.B) {
	const nSeries, perBatch = 10_000, 1_000
	srv := memcachedtest.Start(b)
	be := newBackend(b, []string{srv.Addr}, time.Hour)
	ctx := context.Background()
	now := time.Now()
	mk := func(id series.ID, v int64) series.Update {
		return series.Update{ID: id, Kind: series.KindDeltaSum, Desc: []byte(fmt.Sprintf(`{"resource":{"service.name":"svc"},"metric":"requests","attrs":{"route":"/r/%d"}}`, id)),
			Point: series.Point{Start: now.Add(-time.Second).UnixNano(), Time: now.UnixNano(), IsInt: true, Int: v}}
	}
	ids := make([]series.ID, nSeries)
	r := rand.New(rand.NewPCG(7, 8))
	for i := range ids {
		ids[i] = series.ID(r.Uint64())
	}
	for i := 0; i < nSeries; i += perBatch {
		ups := make([]series.Update, 0, perBatch)
		for _, id := range ids[i : i+perBatch] {
			ups = append(ups, mk(id, 1))
		}
		require.NoError(b, be.Apply(ctx, "seed-"+strconv.Itoa(i), ups, now))
	}
	batches := make([][]series.Update, 16)
	for i := range batches {
		ups := make([]series.Update, perBatch)
		for j := range ups {
			ups[j] = mk(ids[r.IntN(nSeries)], 1)
			ups[j].Desc = nil // the processor sends descriptors only for series new to it
		}
		batches[i] = ups
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := be.Apply(ctx, "bench-"+strconv.Itoa(i), batches[i%len(batches)], now); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*perBatch)/b.Elapsed().Seconds(), "points/s")
}

// jsonItem is what a JSON encoding of a series item would hold (series.Point has JSON
// tags), to compare with the binary one.
type jsonItem struct {
	Kind       series.Kind      `json:"k"`
	Ver        uint64           `json:"v"`
	Ring       [ringSize]uint64 `json:"r"`
	FirstSeen  int64            `json:"f"`
	LastUpdate int64            `json:"l"`
	Expiry     int64            `json:"e"`
	Indexed    int64            `json:"i"`
	XToken     int64            `json:"x"`
	Desc       []byte           `json:"d,omitempty"`
	Point      series.Point     `json:"p"`
	Exported   *series.Point    `json:"xp,omitempty"`
}

func benchItems() map[string]item {
	now := time.Now().UnixNano()
	base := item{ver: 12345, expiry: now + int64(time.Hour), indexed: now + int64(time.Hour), xtoken: 7}
	for i := range base.ring {
		base.ring[i] = rand.Uint64()
	}
	base.st = series.State{FirstSeen: now, LastUpdate: now,
		Desc: []byte(`{"resource":{"service.name":"checkout","host.name":"web-1"},"scope":"app","metric":"http.server.requests","unit":"1","attrs":{"route":"/api/orders","status":"200"}}`)}
	sum := base
	sum.st.Kind = series.KindDeltaSum
	sum.st.Point = series.Point{Start: now - 1e9, Time: now, IsInt: true, Int: 123456}
	exp := sum.st.Point
	exp.Int = 100000
	sum.st.Exported = &exp
	hist := base
	hist.st.Kind = series.KindDeltaHistogram
	hist.st.Point = series.Point{Start: now - 1e9, Time: now, Count: 5000, Sum: 1234.5, HasMin: true, Min: 0.001, HasMax: true, Max: 9.5,
		Buckets: []uint64{10, 200, 1500, 2000, 900, 300, 60, 20, 7, 2, 1, 0, 0, 0, 0, 0}}
	return map[string]item{"sum": sum, "histogram": hist}
}

// BenchmarkCodec compares the binary encoding with JSON (size and encode+decode time).
func BenchmarkCodec(b *testing.B) {
	for name, it := range benchItems() {
		b.Run(name+"/binary", func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			for b.Loop() {
				buf = appendItem(buf[:0], &it)
				var out item
				if err := decodeItem(buf, &out); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(buf)), "bytes/item")
		})
		b.Run(name+"/json", func(b *testing.B) {
			b.ReportAllocs()
			ji := jsonItem{Kind: it.st.Kind, Ver: it.ver, Ring: it.ring, FirstSeen: it.st.FirstSeen, LastUpdate: it.st.LastUpdate,
				Expiry: it.expiry, Indexed: it.indexed, XToken: it.xtoken, Desc: it.st.Desc, Point: it.st.Point, Exported: it.st.Exported}
			var n int
			for b.Loop() {
				v, err := json.Marshal(&ji)
				if err != nil {
					b.Fatal(err)
				}
				var out jsonItem
				if err := json.Unmarshal(v, &out); err != nil {
					b.Fatal(err)
				}
				n = len(v)
			}
			b.ReportMetric(float64(n), "bytes/item")
		})
	}
}
