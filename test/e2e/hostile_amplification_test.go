// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestE2EHostileAmplification: four parallel requests of ~40 KB gzip, each expanding to
// 1.3M empty events, are answered 413 while they stream in; then four parallel
// requests of max_events (10,000) tiny valid events each are accepted and written. The
// collector's peak RSS stays under 1 GiB throughout (it reached 2.2-3.2 GB for one such
// request, 6 GB for four, before max_events).
func TestE2EHostileAmplification(t *testing.T) {
	s := startShipped(t, "")
	base := s.c.peakRSS(t)

	bomb := gzipBytes(t, []byte(strings.Repeat("{}\n", 1_300_000)))
	t.Logf("bomb: %d bytes of gzip for 1,300,000 events", len(bomb))
	answers := parallel(t, 4, func(int) answer {
		return s.post(t, bomb, map[string]string{"Content-Encoding": "gzip"}, nil)
	})
	for i, a := range answers {
		assert.Equal(t, http.StatusRequestEntityTooLarge, a.code, "bomb %d: %s", i, a.raw)
		assert.Equal(t, "more than max_events (10000) events in one request; send smaller batches", a.errorText(), "bomb %d", i)
	}
	bombRSS := s.assertRSS(t, "four parallel tiny-event bombs")

	var want []string
	bodies := make([][]byte, 4)
	for r := range bodies {
		lines := make([]string, 10_000)
		for i := range lines {
			lines[i] = fmt.Sprintf(`{"event":"step.completed","task_id":"amp-%d","step_id":%d,"attempt_number":1}`, r, i)
		}
		bodies[r] = []byte(strings.Join(lines, "\n"))
		want = append(want, fmt.Sprintf(`"amp-%d"`, r))
	}
	start := time.Now()
	answers = parallel(t, 4, func(r int) answer { return s.post(t, bodies[r], nil, nil) })
	for i, a := range answers {
		assert.Equal(t, http.StatusOK, a.code, "request %d: %.200s", i, a.raw)
		assert.Equal(t, 10_000.0, a.body["accepted"], "request %d", i)
	}
	t.Logf("four parallel requests of 10,000 events answered in %s", time.Since(start).Round(time.Millisecond))
	for _, m := range want {
		waitForText(t, s.logsPath(), m)
	}
	s.stillServing(t)
	fullRSS := s.assertRSS(t, "then four parallel requests of 10,000 tiny events")
	t.Logf("RSS figures: at start %.1f MiB, after the bombs %.1f MiB, after the full requests %.1f MiB",
		float64(base)/(1<<20), float64(bombRSS)/(1<<20), float64(fullRSS)/(1<<20))
}

// parallel runs n calls of f at once and returns their answers in order.
func parallel(t *testing.T, n int, f func(i int) answer) []answer {
	t.Helper()
	out := make([]answer, n)
	var wg sync.WaitGroup
	ready := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-ready
			out[i] = f(i)
		}()
	}
	close(ready)
	wg.Wait()
	require.Len(t, out, n)
	return out
}
