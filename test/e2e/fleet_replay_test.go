// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/otelcol-tasker/internal/testserver/redistest"
)

// TestE2EFleetReplayBeforeExport: two collector processes on one Redis (AOF). Each
// round, Redis is stopped while both take data (both buffer it) and restarted 50-400 ms
// before an interval boundary: the first export after it is back — whichever replica
// takes the lock — holds every point both acknowledged. Before, the exporter could read
// the aggregate before the other replica (or itself) had replayed (9,771 of 11,112 in
// the issue). 5 rounds (FLEET_SOAK=1: 20).
func TestE2EFleetReplayBeforeExport(t *testing.T) {
	bin := tool(t, "OTELCOL_TASKER_BIN")
	gen := tool(t, "TELEMETRYGEN_BIN")
	rounds := 5
	if os.Getenv("FLEET_SOAK") != "" {
		rounds = 20
	}
	const every = 4 * time.Second // the exporter waits up to min(interval/2, export_timeout) = 2 s
	srv := redistest.StartPersistent(t)
	backend := "backend: redis\nredis:\n  addrs: [" + srv.Addr + "]\n  key_prefix: fleet"
	rs := []*replica{startReplicaEvery(t, bin, "replica-a", every, backend, "", ""), startReplicaEvery(t, bin, "replica-b", every, backend, "", "")}
	var want int64
	var missed []string
	for round := 1; round <= rounds; round++ {
		want += sendSplit(t, gen, rs, 50, 0)
		srv.Stop()
		want += sendSplit(t, gen, rs, 100, 200) // acknowledged while Redis is down
		// Back just before a boundary (50-400 ms): the export then starts while the
		// replicas' clients are still reconnecting and replaying.
		now := time.Now()
		at := now.Truncate(every).Add(every).Add(-time.Duration(50+rand.N(350)) * time.Millisecond)
		if at.Before(now.Add(100 * time.Millisecond)) {
			at = at.Add(every)
		}
		time.Sleep(time.Until(at))
		srv.Restart()
		back := time.Now()
		var first exportLine
		eventually(t, 3*every, func() error {
			for _, l := range readExports(t, rs) {
				if l.at.After(back) {
					first = l
					return nil
				}
			}
			return errorf("round %d: no export since Redis came back", round)
		})
		if first.value != want {
			missed = append(missed, fmt.Sprintf("round %d: %d of %d", round, first.value, want))
		}
		t.Logf("round %d: Redis back at +%s of its interval; first export %s later by %s: %d of %d acknowledged",
			round, back.Sub(back.Truncate(every)).Round(time.Millisecond), first.at.Sub(back).Round(time.Millisecond), first.replica, first.value, want)
	}
	assert.Empty(t, missed, "the first export after the outage missed acknowledged points")
	lines := readExports(t, rs)
	requireOnePerInterval(t, lines)
	require.Equal(t, want, exportedTotal(lines))
	for _, r := range rs {
		r.c.stop(t)
	}
}

// TestE2EFleetMaxSeries: three collector processes on one Redis with max_series 5, each
// introducing 5 series of its own at once: the shared aggregate holds 5 series and the
// overflow series, with the exact total. Before, each replica counted its own series
// and the aggregate held 15.
func TestE2EFleetMaxSeries(t *testing.T) {
	bin := tool(t, "OTELCOL_TASKER_BIN")
	gen := tool(t, "TELEMETRYGEN_BIN")
	srv := redistest.Start(t)
	backend := "backend: redis\nmax_series: 5\nredis:\n  addrs: [" + srv.Addr + "]\n  key_prefix: fleet"
	rs := make([]*replica, 3)
	for i := range rs {
		rs[i] = startReplica(t, bin, "replica-"+string(rune('a'+i)), backend, "", "")
	}
	var wg sync.WaitGroup
	for i, r := range rs {
		for s := range 5 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				run(t, gen, "metrics", "--otlp-insecure", "--otlp-endpoint", "127.0.0.1:"+strconv.Itoa(r.grpc),
					"--metrics", "3", "--metric-type", "Sum", "--aggregation-temporality", "delta", "--rate", "0",
					"--telemetry-attributes", fmt.Sprintf("k=\"r%d-%d\"", i, s))
			}()
		}
	}
	wg.Wait()
	const want = 15 * 3 // 15 series, 0+1+2 each
	var got map[string]int64
	eventually(t, 20*time.Second, func() error {
		got = lastSeries(t, rs)
		var total int64
		for _, v := range got {
			total += v
		}
		if total != want {
			return errorf("exported total %d, want %d: %v", total, want, got)
		}
		return nil
	})
	assert.Len(t, got, 6, "5 series and the overflow series: %v", got)
	assert.Equal(t, int64(10*3), got["overflow"], "10 series folded into overflow: %v", got)
	t.Logf("max_series 5 across 3 processes: %v", got)
	for _, r := range rs {
		r.c.stop(t)
	}
}

// lastSeries returns the values of "gen" in the newest export across the replicas'
// files, by attribute k ("overflow" for the overflow series).
func lastSeries(t *testing.T, rs []*replica) map[string]int64 {
	t.Helper()
	var newest string
	by := map[string]map[string]int64{}
	for _, r := range rs {
		for _, o := range genPoints(t, r) {
			ts := o["timestamp"].(string)
			attrs, _ := o["attributes"].(map[string]any)
			k, ok := attrs["k"].(string)
			if !ok {
				k = "overflow"
			}
			if by[ts] == nil {
				by[ts] = map[string]int64{}
			}
			v, _ := o["value"].(float64)
			by[ts][k] = int64(v)
			at, _ := time.Parse(time.RFC3339Nano, ts)
			if cur, _ := time.Parse(time.RFC3339Nano, newest); newest == "" || at.After(cur) {
				newest = ts
			}
		}
	}
	return by[newest]
}
