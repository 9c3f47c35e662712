// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"context"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// BenchmarkBuild measures an export's build of 10k series from the memory backend's
// states: with the descriptors kept as pdata (what the memory backend holds now), and
// with them as encoded descriptors decoded at every export (what it held before, and
// what the distributed backends return).
func BenchmarkBuild(b *testing.B) {
	clock := &fakeClock{now: t0}
	p := newTestProcessor(&testing.T{}, testCfg(nil), consumertest.NewNop(), clock, nil, nil)
	for i := range 10 {
		bt := newBatch(web1)
		for j := range 1000 {
			bt.sum("c", delta, 0, time.Second, int64(j), map[string]any{"i": i*1000 + j})
		}
		require.NoError(b, p.ConsumeMetrics(context.Background(), bt.md))
	}
	kept, _, err := p.be.Snapshot(context.Background(), clock.Now())
	require.NoError(b, err)
	require.Len(b, kept, 10_000)
	decoded := append([]series.State(nil), kept...)
	for i := range decoded {
		decoded[i].Desc, err = decoded[i].Tmpl.Encode()
		require.NoError(b, err)
		decoded[i].Tmpl = nil
	}
	for _, c := range []struct {
		name   string
		states []series.State
	}{{"decoded_descriptor", decoded}, {"kept_pdata", kept}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if md := p.build(c.states, clock.Now(), false); md.DataPointCount() != 10_000 {
					b.Fatal(md.DataPointCount())
				}
			}
		})
	}
	require.NoError(b, p.Shutdown(context.Background()))
}

// The memory backend keeps descriptors as pdata: nothing is encoded on ingest, and an
// export builds the same output from the template as from its encoded form.
func TestMemoryKeepsDescriptorsAsPdata(t *testing.T) {
	clock := &fakeClock{now: t0}
	p := newTestProcessor(t, testCfg(nil), consumertest.NewNop(), clock, nil, nil)
	consume(t, p, newBatch(web1).sum("c", delta, 0, time.Second, 7, map[string]any{"k": "v"}).
		histogram("h", time.Second, []float64{1, 2}, []uint64{1, 2, 3}, 9, nil))
	states, _, err := p.be.Snapshot(context.Background(), clock.Now())
	require.NoError(t, err)
	require.Len(t, states, 2)
	encoded := append([]series.State(nil), states...)
	for i := range states {
		require.Nil(t, states[i].Desc, "no descriptor encoded on the memory path")
		require.NotNil(t, states[i].Tmpl)
		encoded[i].Desc, err = states[i].Tmpl.Encode()
		require.NoError(t, err)
		encoded[i].Tmpl = nil
	}
	require.NoError(t, pmetrictest.CompareMetrics(p.build(encoded, clock.Now(), false), p.build(states, clock.Now(), false)))
	// Building twice from the kept templates leaves them intact.
	require.NoError(t, pmetrictest.CompareMetrics(p.build(encoded, clock.Now(), false), p.build(states, clock.Now(), false)))
	require.NoError(t, p.Shutdown(context.Background()))
}
