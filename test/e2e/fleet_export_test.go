// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/otelcol-tasker/internal/testserver/memcachedtest"
	"github.com/tasker-systems/otelcol-tasker/internal/testserver/redistest"
)

// TestE2EFleetExportsOnce: three collector processes share one aggregate, the workload
// split across them (each takes 600 points over 6 s): the exports hold the exact total,
// and every interval is exported by one replica only — from the files and from the
// registries' cache_synced events.
func TestE2EFleetExportsOnce(t *testing.T) {
	bin := tool(t, "OTELCOL_TASKER_BIN")
	gen := tool(t, "TELEMETRYGEN_BIN")
	for _, tc := range []struct {
		name    string
		backend func(t *testing.T) string
	}{
		{"redis", func(t *testing.T) string {
			return "backend: redis\nredis:\n  addrs: [" + redistest.Start(t).Addr + "]\n  key_prefix: fleet"
		}},
		{"redis cluster of 3 masters", func(t *testing.T) string {
			cl := redistest.StartCluster(t, 3)
			return "backend: redis\nredis:\n  cluster: true\n  addrs: [" + strings.Join(cl.Addrs, ", ") + "]\n  key_prefix: fleet"
		}},
		{"memcached", func(t *testing.T) string {
			return "backend: memcached\nmemcached:\n  servers: [" + memcachedtest.Start(t).Addr + "]\n  key_prefix: fleet"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backend := tc.backend(t)
			rs := make([]*replica, 3)
			for i := range rs {
				rs[i] = startReplica(t, bin, "replica-"+string(rune('a'+i)), backend, "", "")
			}
			want := sendSplit(t, gen, rs, 600, 100)
			var lines []exportLine
			eventually(t, 20*time.Second, func() error {
				lines = readExports(t, rs)
				if got := exportedTotal(lines); got != want {
					return errorf("exported total %d, want %d", got, want)
				}
				return nil
			})
			requireOnePerInterval(t, lines)
			synced := requireOneSyncPerInterval(t, rs)
			exporters := map[string]bool{}
			for _, l := range lines {
				exporters[l.replica] = true
			}
			t.Logf("%s: total %d exact; %d exports with data, %d intervals synced, exported by %d replicas", tc.name, want, len(lines), synced, len(exporters))
			assert.GreaterOrEqual(t, len(perInterval(lines)), 5, "the load spanned several intervals")
			for _, r := range rs {
				r.c.stop(t)
			}
		})
	}
}

// TestE2EFleetLockHolderKilled: replica a exports to a downstream that never answers,
// so when it takes the export lock it holds it (renewing it) while it retries. It is
// killed (kill -9) while holding it: the lock expires after lock_timeout and the next
// interval is exported by b or c, no interval twice, and the total is exact (what a
// acknowledged had been applied to Redis).
func TestE2EFleetLockHolderKilled(t *testing.T) {
	bin := tool(t, "OTELCOL_TASKER_BIN")
	gen := tool(t, "TELEMETRYGEN_BIN")
	srv := redistest.Start(t)
	backend := "backend: redis\nredis:\n  addrs: [" + srv.Addr + "]\n  key_prefix: fleet"
	hang := hangingServer(t)
	a := startReplica(t, bin, "replica-a", backend, "  otlphttp:\n    endpoint: "+hang+"\n    timeout: 2s\n    retry_on_failure:\n      enabled: false\n    sending_queue:\n      enabled: false\n", "otlphttp")
	b := startReplica(t, bin, "replica-b", backend, "", "")
	c := startReplica(t, bin, "replica-c", backend, "", "")
	rs := []*replica{a, b, c}
	want := sendSplit(t, gen, rs, 100, 0)

	// Wait until a holds the lock (it wins some interval and then hangs in its export).
	var held time.Time
	eventually(t, 30*time.Second, func() error {
		v, err := srv.Do("GET", "{fleet}:export_lock")
		if err != nil || !strings.HasPrefix(v, "replica-a:") {
			return errorf("export lock held by %q (%v)", v, err)
		}
		held = time.Now()
		return nil
	})
	require.NoError(t, a.c.cmd.Process.Kill())
	<-a.c.done
	killed := time.Now()
	t.Logf("replica-a killed %s after it was seen holding the lock", killed.Sub(held))
	// More data after the kill goes to the survivors.
	want += sendSplit(t, gen, []*replica{b, c}, 50, 0)

	var lines []exportLine
	eventually(t, 20*time.Second, func() error {
		lines = readExports(t, []*replica{b, c})
		if got := exportedTotal(lines); got != want {
			return errorf("exported total %d, want %d", got, want)
		}
		return nil
	})
	requireOnePerInterval(t, lines)
	requireOneSyncPerInterval(t, []*replica{b, c})
	var first time.Time
	for _, l := range lines {
		if l.at.After(killed) {
			first = l.at
			break
		}
	}
	require.False(t, first.IsZero(), "an export after the kill")
	t.Logf("first export after the kill: %s later, by %v (lock_timeout 3s)", first.Sub(killed).Round(time.Millisecond), perInterval(lines)[first.Truncate(b.every)])
	assert.Less(t, first.Sub(killed), 3*time.Second+3*fleetInterval, "an interval soon after the lock expired (lock_timeout 3s) was exported")
	b.c.stop(t)
	c.c.stop(t)
}
