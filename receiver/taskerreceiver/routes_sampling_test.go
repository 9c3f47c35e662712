// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
)

// Tasker's task ids are consecutive integers: over any stretch of time a route's
// sampling_rate must keep its share of them, wherever the ids start.
func TestSamplingRateOnConsecutiveIDs(t *testing.T) {
	for _, offset := range []int64{1, 1_000_000, 5_000_000_000} {
		for _, rate := range []float64{0.1, 0.5, 0.9} {
			// Windows of 100 ids (what one busy minute holds) and one of 10,000.
			for _, n := range []int{100, 10_000} {
				for w := int64(0); w < 4; w++ {
					start := offset + w*int64(n)
					kept := 0
					for id := start; id < start+int64(n); id++ {
						if sampled(&tasker.Event{Name: "step.completed", TaskID: strconv.FormatInt(id, 10)}, rate) {
							kept++
						}
					}
					mean := rate * float64(n)
					sigma := math.Sqrt(float64(n) * rate * (1 - rate))
					assert.InDeltaf(t, mean, float64(kept), 4*sigma,
						"rate %.1f, ids %d..%d: kept %d of %d (expected %.0f ± %.0f)", rate, start, start+int64(n)-1, kept, n, mean, 4*sigma)
				}
			}
		}
	}
}

// Two routers (two replicas, or two runs) decide alike, for every event of a task,
// and the decision is pinned: a change of the hash would change which tasks a
// rolling upgrade keeps.
func TestSamplingSameOnEveryReplica(t *testing.T) {
	rate := 0.5
	cfg := []RouteConfig{{Match: "*", SamplingRate: &rate}}
	a, err := newRouter(cfg, "")
	require.NoError(t, err)
	b, err := newRouter(cfg, "")
	require.NoError(t, err)
	kept := 0
	for id := 1; id <= 1000; id++ {
		tid := strconv.Itoa(id)
		first := a.decide(&tasker.Event{Name: "task.start_requested", TaskID: tid}, "")
		for _, name := range []string{"step.completed", "task.completed"} {
			assert.Equal(t, first, a.decide(&tasker.Event{Name: name, TaskID: tid}, ""), "task %s: one decision for all its events", tid)
			assert.Equal(t, first, b.decide(&tasker.Event{Name: name, TaskID: tid}, ""), "task %s: the same decision on another replica", tid)
		}
		if first != 0 {
			kept++
		}
	}
	assert.Equal(t, 532, kept, "the decisions of tasks 1..1000 at rate 0.5 changed")
	// Correlation ids (no task id) are sampled too, and not all alike.
	keptCorr := 0
	for i := range 1000 {
		if sampled(&tasker.Event{Name: "x", CorrelationID: "tsk_" + strconv.Itoa(i)}, 0.5) {
			keptCorr++
		}
	}
	assert.InDelta(t, 500, keptCorr, 4*math.Sqrt(250))
	assert.False(t, sampled(&tasker.Event{TaskID: "1"}, math.NaN()))
	assert.False(t, sampled(&tasker.Event{TaskID: "1"}, 0))
	assert.True(t, sampled(&tasker.Event{TaskID: "1"}, 1))
}

// Two deployments (or installations) whose task ids overlap decide independently: the
// sampling key is (source, deployment, task id), as the ids are. Each keeps its share,
// and they do not keep the same tasks.
func TestSamplingPerDeployment(t *testing.T) {
	rate := 0.5
	r, err := newRouter([]RouteConfig{{Match: "*", SamplingRate: &rate}}, "tasker")
	require.NoError(t, err)
	keptProd, keptStaging, both := 0, 0, 0
	const n = 10000
	for id := 1; id <= n; id++ {
		ev := &tasker.Event{Name: "task.completed", TaskID: strconv.Itoa(id)}
		p, s := r.decide(ev, "production") != 0, r.decide(ev, "staging") != 0
		assert.Equal(t, p, r.decide(ev, "production") != 0, "the same decision every time")
		if p {
			keptProd++
		}
		if s {
			keptStaging++
		}
		if p && s {
			both++
		}
	}
	sigma := math.Sqrt(n * rate * (1 - rate))
	assert.InDelta(t, n*rate, keptProd, 4*sigma)
	assert.InDelta(t, n*rate, keptStaging, 4*sigma)
	// Independent decisions keep a task in both about rate² of the time (identical
	// ones would keep rate).
	assert.InDelta(t, n*rate*rate, both, 4*math.Sqrt(n*rate*rate*(1-rate*rate)))
}
