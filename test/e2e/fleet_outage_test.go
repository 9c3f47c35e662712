// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/otelcol-tasker/internal/testserver/memcachedtest"
	"github.com/tasker-systems/otelcol-tasker/internal/testserver/redistest"
)

// hangingServer accepts requests and answers none until the test ends.
func hangingServer(t *testing.T) string {
	t.Helper()
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-done }))
	t.Cleanup(func() { close(done); srv.Close() })
	return srv.URL
}

// TestE2EFleetStoreRestart: two replicas; the store is stopped while both take data
// (they buffer it), then started again: every acknowledged point is exported exactly
// once. Redis keeps its data (AOF), so the cumulative total is exact. memcached comes
// back empty, so the replicas export deltas: what was exported before the stop plus
// what came after (the buffered points replayed into the empty store) is the total.
func TestE2EFleetStoreRestart(t *testing.T) {
	bin := tool(t, "OTELCOL_TASKER_BIN")
	gen := tool(t, "TELEMETRYGEN_BIN")
	type store struct {
		backend string
		stop    func()
		restart func()
	}
	for _, tc := range []struct {
		name  string
		start func(t *testing.T) store
	}{
		{"redis", func(t *testing.T) store {
			s := redistest.StartPersistent(t)
			return store{"backend: redis\nredis:\n  addrs: [" + s.Addr + "]\n  key_prefix: fleet", s.Stop, s.Restart}
		}},
		{"memcached", func(t *testing.T) store {
			s := memcachedtest.Start(t)
			return store{"backend: memcached\ntemporality: delta\nmemcached:\n  servers: [" + s.Addr + "]\n  key_prefix: fleet", s.Stop, s.Restart}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := tc.start(t)
			rs := []*replica{startReplica(t, bin, "replica-a", st.backend, "", ""), startReplica(t, bin, "replica-b", st.backend, "", "")}
			want := sendSplit(t, gen, rs, 100, 0)
			// Everything before the stop is exported first (memcached loses the rest).
			eventually(t, 20*time.Second, func() error {
				if got := exportedTotal(readExports(t, rs)); got != want {
					return errorf("before the outage: exported %d, want %d", got, want)
				}
				return nil
			})
			st.stop()
			want += sendSplit(t, gen, rs, 200, 100) // acknowledged while the store is down: buffered
			time.Sleep(fleetInterval)
			st.restart()
			var lines []exportLine
			eventually(t, 20*time.Second, func() error {
				lines = readExports(t, rs)
				if got := exportedTotal(lines); got != want {
					return errorf("after the outage: exported %d, want %d", got, want)
				}
				return nil
			})
			requireOnePerInterval(t, lines)
			requireOneSyncPerInterval(t, rs)
			// And nothing arrives later (no point counted twice by a late replay).
			time.Sleep(2 * fleetInterval)
			require.Equal(t, want, exportedTotal(readExports(t, rs)))
			t.Logf("%s: %d acknowledged, %d exported, after a restart of the store", tc.name, want, exportedTotal(lines))
			for _, r := range rs {
				r.c.stop(t)
			}
		})
	}
}
