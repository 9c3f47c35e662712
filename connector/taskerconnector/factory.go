// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerconnector

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"

	"github.com/tasker-systems/otelcol-tasker/connector/taskerconnector/internal/metadata"
)

// NewFactory creates the tasker_spans connector factory.
func NewFactory() connector.Factory {
	return connector.NewFactory(
		metadata.Type,
		func() component.Config { return createDefaultConfig() },
		connector.WithTracesToMetrics(createTracesToMetrics, metadata.TracesToMetricsStability),
		connector.WithTracesToTraces(createTracesToTraces, metadata.TracesToTracesStability),
	)
}

func createTracesToMetrics(_ context.Context, set connector.Settings, cfg component.Config, next consumer.Metrics) (connector.Traces, error) {
	c, err := newConnector(set.TelemetrySettings, set.BuildInfo, cfg.(*Config))
	if err != nil {
		return nil, err
	}
	c.nextMetrics = next
	return c, nil
}

func createTracesToTraces(_ context.Context, set connector.Settings, cfg component.Config, next consumer.Traces) (connector.Traces, error) {
	c, err := newConnector(set.TelemetrySettings, set.BuildInfo, cfg.(*Config))
	if err != nil {
		return nil, err
	}
	c.nextTraces = next
	return c, nil
}
