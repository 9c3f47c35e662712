// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csvexporter

import (
	"go.opentelemetry.io/collector/component"

	"github.com/tasker-systems/otelcol-tasker/internal/codec/csv"
	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// formatCSV is the format the exporter registers with tasker_registry.
const formatCSV = "csv"

// newPlugin describes the exporter to tasker_registry. Every signal's instance registers
// the same plugin (shared): the registry keeps one, named after the component id.
func newPlugin(cfg *Config, id component.ID, version string) (taskerregistry.Plugin, error) {
	enc, err := newMetricsEncoder(cfg)
	if err != nil {
		return taskerregistry.Plugin{}, err
	}
	return taskerregistry.Plugin{
		Name:        id.String(),
		Version:     version,
		Description: "Tasker CSV files: one row per metric data point, log record and span",
		Formats:     []string{formatCSV},
		ComponentID: id,
		Kind:        component.KindExporter,
		Options: map[string]string{
			"path": cfg.Path,
			"mode": string(cfg.Mode),
		},
		Implementation: enc,
	}, nil
}

// newMetricsEncoder is the registry's view of the exporter: it encodes a metrics
// snapshot (GET /v1/export?format=csv) with the exporter's metrics options, as a new
// file of the exporter would hold it (see csv.SnapshotEncoder).
func newMetricsEncoder(cfg *Config) (*csv.SnapshotEncoder, error) {
	return csv.NewSnapshotEncoder(cfg.codecOptions(signalMetrics))
}
