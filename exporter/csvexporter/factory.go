// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csvexporter

import (
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"

	"github.com/tasker-systems/otelcol-tasker/exporter/csvexporter/internal/metadata"
	"github.com/tasker-systems/otelcol-tasker/internal/fileexport"
)

// DefaultPath is where the exporter writes unless configured: one file per signal.
const DefaultPath = "./out/{signal}.csv"

// NewFactory creates the tasker_csv exporter factory.
func NewFactory() exporter.Factory {
	st := fileexport.Stability{Metrics: metadata.MetricsStability, Logs: metadata.LogsStability, Traces: metadata.TracesStability}
	return fileexport.NewFactory(metadata.Type, createDefaultConfig, st, newCSVExporter)
}

func createDefaultConfig() component.Config {
	return &Config{
		Config:          fileexport.NewDefaultConfig(DefaultPath),
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
