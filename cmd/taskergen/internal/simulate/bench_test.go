// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package simulate

import "testing"

// BenchmarkGenerate measures simulation speed (events/s), without encoding.
func BenchmarkGenerate(b *testing.B) {
	o := Defaults()
	o.Tasks = 1 << 30
	g, err := New(o)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, ok := g.Next(); !ok {
			b.Fatal("end of stream")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkGenerateEncode adds the JSON encoding of each event (the HTTP/stdout body).
func BenchmarkGenerateEncode(b *testing.B) {
	o := Defaults()
	o.Tasks = 1 << 30
	g, err := New(o)
	if err != nil {
		b.Fatal(err)
	}
	var buf []byte
	var n int64
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		ev, _ := g.Next()
		buf = AppendObject(buf[:0], "event", ev.Name, ev.Fields)
		n += int64(len(buf))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(n)/float64(b.N), "B/event")
}
