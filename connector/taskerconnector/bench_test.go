// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerconnector

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// BenchmarkConnector: Tasker's spans of the scripted workflow (200 tasks, batches of
// 512 as the SDK exports them) through each side; a fresh connector per iteration.
func BenchmarkConnector(b *testing.B) {
	s := newSubscriber(DefaultServiceName, t0)
	for _, run := range scriptedRuns(200) {
		s.runTask(&run, true)
	}
	batches := s.export(512, "OpenTelemetry::Instrumentation::ActiveJob")
	spans := 0
	for _, td := range batches {
		spans += td.SpanCount()
	}
	for _, side := range []string{"metrics", "traces"} {
		b.Run(side, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				c, _ := newConnector(componenttest.NewNopTelemetrySettings(), component.BuildInfo{}, createDefaultConfig())
				if side == "metrics" {
					c.nextMetrics = consumertest.NewNop()
				} else {
					c.nextTraces = consumertest.NewNop()
				}
				in := make([]ptrace.Traces, len(batches))
				for j, td := range batches {
					in[j] = ptrace.NewTraces()
					td.CopyTo(in[j])
				}
				b.StartTimer()
				for _, td := range in {
					_ = c.ConsumeTraces(context.Background(), td)
				}
			}
			b.ReportMetric(float64(spans)*float64(b.N)/b.Elapsed().Seconds(), "spans/s")
		})
	}
}
