// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csvexporter

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/tasker-systems/otelcol-tasker/exporter/csvexporter/internal/metadata"
	"github.com/tasker-systems/otelcol-tasker/internal/filewriter"
)

// DefaultPath is where the exporter writes unless configured: one file per signal.
const DefaultPath = "./out/{signal}.csv"

// NewFactory creates the tasker_csv exporter factory.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(
		metadata.Type,
		createDefaultConfig,
		exporter.WithMetrics(createMetrics, metadata.MetricsStability),
		exporter.WithLogs(createLogs, metadata.LogsStability),
		exporter.WithTraces(createTraces, metadata.TracesStability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{
		Config:          filewriter.NewDefaultConfig(DefaultPath),
		TimeoutConfig:   exporterhelper.NewDefaultTimeoutConfig(),
		QueueConfig:     configoptional.Some(exporterhelper.NewDefaultQueueConfig()),
		RetryConfig:     configretry.NewDefaultBackOffConfig(),
		Columns:         append([]string(nil), DefaultColumns...),
		ResourceColumns: append([]string(nil), DefaultResourceColumns...),
		LabelNames:      LabelNamesSQL,
		LogColumns:      append([]string(nil), DefaultLogColumns...),
		SpanColumns:     append([]string(nil), DefaultSpanColumns...),
		Separator:       ",",
		IncludeHeaders:  true,
		LineEnding:      LineEndingLF,
		FlattenLabels:   true,
		UnknownLabels:   UnknownLabelsRotate,
		EscapeFormulas:  true,
	}
}

func helperOptions(cfg *Config, e *csvExporter) []exporterhelper.Option {
	return []exporterhelper.Option{
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdown),
		exporterhelper.WithTimeout(cfg.TimeoutConfig),
		exporterhelper.WithRetry(cfg.RetryConfig),
		exporterhelper.WithQueue(cfg.QueueConfig),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
	}
}

func createMetrics(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Metrics, error) {
	c := cfg.(*Config)
	e, err := newCSVExporter(c, signalMetrics, set)
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewMetrics(ctx, set, cfg, e.consumeMetrics, helperOptions(c, e)...)
}

func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	c := cfg.(*Config)
	e, err := newCSVExporter(c, signalLogs, set)
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewLogs(ctx, set, cfg, e.consumeLogs, helperOptions(c, e)...)
}

func createTraces(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
	c := cfg.(*Config)
	e, err := newCSVExporter(c, signalTraces, set)
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewTraces(ctx, set, cfg, e.consumeTraces, helperOptions(c, e)...)
}
