// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

func seqs(evs []taskerregistry.Event) []uint64 {
	out := []uint64{}
	for _, e := range evs {
		out = append(out, e.Sequence)
	}
	return out
}

func TestEventRingOverflow(t *testing.T) {
	r := newEventRing(5)
	page := r.query(EventQuery{})
	assert.Empty(t, page.Events)
	assert.False(t, page.Missed)
	assert.Zero(t, page.LastSequence)

	for i := 1; i <= 12; i++ {
		name := taskerregistry.EventExportCompleted
		if i%3 == 0 {
			name = taskerregistry.EventExportFailed
		}
		e, evicted := r.add(taskerregistry.Event{Name: name, Payload: map[string]any{"i": i}})
		assert.Equal(t, uint64(i), e.Sequence)
		assert.Equal(t, i > 5, evicted, i)
	}
	st := r.stats()
	assert.Equal(t, EventStats{Capacity: 5, Retained: 5, Recorded: 12, Evicted: 7, OldestSequence: 8, LastSequence: 12}, st)

	page = r.query(EventQuery{})
	assert.Equal(t, []uint64{8, 9, 10, 11, 12}, seqs(page.Events))
	assert.True(t, page.Missed, "events 1..7 were evicted")
	assert.Equal(t, uint64(12), page.NextSince)
	assert.Equal(t, 12, page.Events[4].Payload["i"])

	page = r.query(EventQuery{Since: 7})
	assert.Equal(t, []uint64{8, 9, 10, 11, 12}, seqs(page.Events))
	assert.False(t, page.Missed, "nothing after 7 was lost")

	page = r.query(EventQuery{Since: 9})
	assert.Equal(t, []uint64{10, 11, 12}, seqs(page.Events))

	page = r.query(EventQuery{Since: 8, Limit: 2})
	assert.Equal(t, []uint64{9, 10}, seqs(page.Events))
	assert.True(t, page.More)
	assert.Equal(t, uint64(10), page.NextSince)
	page = r.query(EventQuery{Since: page.NextSince, Limit: 2})
	assert.Equal(t, []uint64{11, 12}, seqs(page.Events))
	assert.False(t, page.More)

	page = r.query(EventQuery{Name: "export_failed"})
	assert.Equal(t, []uint64{9, 12}, seqs(page.Events))
	assert.Equal(t, uint64(12), page.NextSince)
	page = r.query(EventQuery{Name: taskerregistry.EventExportFailed, Since: 9})
	assert.Equal(t, []uint64{12}, seqs(page.Events))
	page = r.query(EventQuery{Name: "nonsense"})
	assert.Empty(t, page.Events)

	page = r.query(EventQuery{Since: 12})
	assert.Empty(t, page.Events)
	assert.Equal(t, uint64(12), page.NextSince)
	page = r.query(EventQuery{Since: 99})
	assert.Empty(t, page.Events)
	assert.Equal(t, uint64(12), page.NextSince, "past the end: told where the ring is")

	// Wrap many times.
	for i := 0; i < 1000; i++ {
		r.add(taskerregistry.Event{Name: taskerregistry.EventCacheSynced})
	}
	page = r.query(EventQuery{})
	assert.Equal(t, []uint64{1008, 1009, 1010, 1011, 1012}, seqs(page.Events))
	assert.Equal(t, uint64(1007), r.stats().Evicted)
}

func TestEventRingCapacityOne(t *testing.T) {
	r := newEventRing(0)
	r.add(taskerregistry.Event{Name: taskerregistry.EventCacheSynced})
	r.add(taskerregistry.Event{Name: taskerregistry.EventCacheSynced})
	page := r.query(EventQuery{})
	require.Len(t, page.Events, 1)
	assert.Equal(t, uint64(2), page.Events[0].Sequence)
}

func TestNormalizeEventName(t *testing.T) {
	for _, n := range taskerregistry.EventNames {
		assert.Equal(t, n, taskerregistry.NormalizeEventName(n))
		short := n[len("tasker.telemetry."):]
		assert.Equal(t, n, taskerregistry.NormalizeEventName(short), short)
	}
	assert.Empty(t, taskerregistry.NormalizeEventName("task.completed"))
	assert.Empty(t, taskerregistry.NormalizeEventName(""))
	assert.Len(t, taskerregistry.EventNames, 6)
	assert.Equal(t, "tasker.telemetry.cache_synced", fmt.Sprint(taskerregistry.EventCacheSynced))
}

func TestRegistryEventRingBounded(t *testing.T) {
	r := New(Options{MaxEvents: 3})
	h, err := r.Register(taskerregistry.Plugin{Name: "x", Formats: []string{"csv"}})
	require.NoError(t, err)
	for i := 0; i < 10; i++ {
		h.ReportExport(taskerregistry.ExportReport{Items: i})
	}
	st := r.Stats().Events
	assert.Equal(t, 3, st.Capacity)
	assert.Equal(t, 3, st.Retained)
	assert.Equal(t, uint64(12), st.Recorded)
	assert.Equal(t, uint64(9), st.Evicted)
	page := r.Events(EventQuery{})
	assert.Equal(t, []uint64{10, 11, 12}, seqs(page.Events))
	assert.Equal(t, 9, page.Events[2].Payload["metrics_count"])
}
