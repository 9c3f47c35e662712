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

// releaseItems is how many items an implementation writes between two releases of the
// written pages (releaseWritten, outside the timer, the same for every implementation).
// Without it the page cache grows by all a run writes (up to gigabytes), and on this VM
// writing into guest pages freed more than ~2 s earlier is slow whenever the host has
// taken them back (virtio balloon free page reporting): ~0.4-0.7 GB/s instead of
// ~5 GB/s into recently freed pages. A run's speed then depended on the host and on how
// much the sub-benchmark before it had just freed (its files' removal) more than on the
// exporter, and most on the exporter writing the most bytes. With it every
// implementation writes into recycled pages, as a long-running collector does once the
// page cache is full and written back.
const releaseItems = 100_000

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
				every := max(1, releaseItems/batch)
				for i := 1; b.Loop(); i++ {
					must(b, consume())
					if i%every == 0 {
						b.StopTimer()
						releaseWritten(b, dir)
						b.StartTimer()
					}
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
