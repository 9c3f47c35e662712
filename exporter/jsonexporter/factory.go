// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package jsonexporter

import (
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"

	"github.com/tasker-systems/otelcol-tasker/exporter/jsonexporter/internal/metadata"
	"github.com/tasker-systems/otelcol-tasker/internal/fileexport"
)

// DefaultPath is where the exporter writes unless configured: one file per signal.
const DefaultPath = "./out/{signal}.json"

// NewFactory creates the tasker_json exporter factory.
func NewFactory() exporter.Factory {
	st := fileexport.Stability{Metrics: metadata.MetricsStability, Logs: metadata.LogsStability, Traces: metadata.TracesStability}
	return fileexport.NewFactory(metadata.Type, createDefaultConfig, st, newJSONExporter)
}

func createDefaultConfig() component.Config {
	return &Config{
		Config:          fileexport.NewDefaultConfig(DefaultPath),
		Format:          FormatNDJSON,
		IncludeMetadata: true,
		Labels:          LabelsNested,
		LabelPrefix:     "label_",
		LabelSeparator:  ".",
	}
}
