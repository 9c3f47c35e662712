// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package flatten

import (
	"math/rand/v2"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestTimeFormatterMatchesRFC3339Nano(t *testing.T) {
	var f TimeFormatter
	r := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC).UnixNano()
	cases := []int64{1, 1e9, base, base + 1, base + 10, base + 100_000_000, base + 999_999_999, base + 120_000_000_000}
	for range 20000 {
		// Mostly nearby times (cache hits), some far ones (misses).
		switch r.IntN(10) {
		case 0:
			cases = append(cases, r.Int64N(4102444800e9))
		case 1: // whole milli- and microseconds, some with more trailing zeros
			cases = append(cases, base+r.Int64N(5e3)*1e6, base+r.Int64N(5e6)*1e3, base+r.Int64N(50)*1e8)
		default:
			cases = append(cases, base+r.Int64N(5e9))
		}
	}
	for _, ns := range cases {
		ts := pcommon.Timestamp(ns)
		want := ts.AsTime().UTC().Format(time.RFC3339Nano)
		if got := string(f.Append(nil, ts)); got != want {
			t.Fatalf("ts %d: got %s want %s", ns, got, want)
		}
		if got := string(AppendTimestamp(nil, ts)); got != want {
			t.Fatalf("AppendTimestamp %d: got %s want %s", ns, got, want)
		}
	}
	if got := f.Append([]byte("x"), 0); string(got) != "x" {
		t.Fatalf("zero timestamp must append nothing, got %q", got)
	}
}
