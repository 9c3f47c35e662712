// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"testing"

	"github.com/tasker-systems/otelcol-tasker/cmd/taskergen/internal/simulate"
)

// BenchmarkLogLines measures generating and encoding Tasker log lines (lines/s).
func BenchmarkLogLines(b *testing.B) {
	for _, format := range []string{"json", "logfmt"} {
		b.Run(format, func(b *testing.B) {
			o := simulate.Defaults()
			o.Tasks = 1 << 30
			g, err := simulate.New(o)
			if err != nil {
				b.Fatal(err)
			}
			enc := &logEncoder{format: format, prefix: true, pid: 4242, env: "production", minLevel: sevInfo}
			var buf []byte
			var n, bytes int
			b.ReportAllocs()
			for n < b.N {
				ev, _ := g.Next()
				var ok bool
				if buf, ok = enc.encode(buf[:0], ev); ok {
					n++
					bytes += len(buf)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "lines/s")
			b.ReportMetric(float64(bytes)/float64(n), "B/line")
		})
	}
}
