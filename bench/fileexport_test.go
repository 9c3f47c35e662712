// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/fileexporter"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tasker-systems/otelcol-tasker/exporter/csvexporter"
	"github.com/tasker-systems/otelcol-tasker/exporter/jsonexporter"
	"github.com/tasker-systems/otelcol-tasker/internal/testgen"
)

const batch = 1000

type impl struct {
	name    string
	factory exporter.Factory
	config  func(dir string) component.Config
}

var fileImpls = []impl{
	{"tasker_json", jsonexporter.NewFactory(), func(dir string) component.Config {
		cfg := jsonexporter.NewFactory().CreateDefaultConfig().(*jsonexporter.Config)
		cfg.Path = filepath.Join(dir, "{signal}.json")
		cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
		cfg.FlushInterval = time.Second
		return cfg
	}},
	{"tasker_csv", csvexporter.NewFactory(), func(dir string) component.Config {
		cfg := csvexporter.NewFactory().CreateDefaultConfig().(*csvexporter.Config)
		cfg.Path = filepath.Join(dir, "{signal}.csv")
		cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
		cfg.FlushInterval = time.Second
		return cfg
	}},
	{"contrib_file", fileexporter.NewFactory(), func(dir string) component.Config {
		cfg := fileexporter.NewFactory().CreateDefaultConfig().(*fileexporter.Config)
		cfg.Path = filepath.Join(dir, "out.json")
		cfg.FormatType = "json"
		cfg.Rotation = nil
		cfg.FlushInterval = time.Second
		return cfg
	}},
}

// BenchmarkFileExport measures one exporter call with a batch of 1,000 items, file
// write included, for our exporters and contrib's fileexporter on the same data.
func BenchmarkFileExport(b *testing.B) { benchFileExport(b, batch) }

// BenchmarkFileExportSmall is the same with batches of 10 items: the cost of writing
// every export to the file before it returns (contrib's exporter buffers for its
// flush_interval, 1 s here).
func BenchmarkFileExportSmall(b *testing.B) { benchFileExport(b, 10) }

func benchFileExport(b *testing.B, batch int) {
	md, ld, td := testgen.Metrics(batch), testgen.Logs(batch), testgen.Traces(batch)
	for _, signal := range []string{"metrics", "logs", "traces"} {
		for _, im := range fileImpls {
			b.Run(signal+"/"+im.name, func(b *testing.B) {
				dir := b.TempDir()
				ctx := context.Background()
				set := exportertest.NewNopSettings(im.factory.Type())
				cfg := im.config(dir)
				var consume func() error
				var comp component.Component
				switch signal {
				case "metrics":
					e, err := im.factory.CreateMetrics(ctx, set, cfg)
					must(b, err)
					comp, consume = e, func() error { return e.ConsumeMetrics(ctx, md) }
				case "logs":
					e, err := im.factory.CreateLogs(ctx, set, cfg)
					must(b, err)
					comp, consume = e, func() error { return e.ConsumeLogs(ctx, ld) }
				case "traces":
					e, err := im.factory.CreateTraces(ctx, set, cfg)
					must(b, err)
					comp, consume = e, func() error { return e.ConsumeTraces(ctx, td) }
				}
				must(b, comp.Start(ctx, componenttest.NewNopHost()))
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					must(b, consume())
				}
				b.StopTimer()
				must(b, comp.Shutdown(ctx))
				items := float64(b.N * batch)
				b.ReportMetric(items/b.Elapsed().Seconds(), "items/s")
				b.ReportMetric(float64(dirSize(b, dir))/items, "disk_B/item")
			})
		}
	}
}

var (
	_ = pmetric.NewMetrics
	_ = plog.NewLogs
	_ = ptrace.NewTraces
)

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

func dirSize(b *testing.B, dir string) int64 {
	var n int64
	err := filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n += info.Size()
		}
		return err
	})
	must(b, err)
	return n
}
