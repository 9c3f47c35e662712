// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package fileexport

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Signal names, as in the {signal} placeholder and the registry's reports.
const (
	SignalMetrics = "metrics"
	SignalLogs    = "logs"
	SignalTraces  = "traces"
)

// SignalExporter is one signal's exporter as the factory wires it: the lifecycle (an
// embedded *Exporter gives Start and Shutdown) and the consume function of every
// signal (the factory uses the one of the instance's signal).
type SignalExporter interface {
	Start(context.Context, component.Host) error
	Shutdown(context.Context) error
	ConsumeMetrics(context.Context, pmetric.Metrics) error
	ConsumeLogs(context.Context, plog.Logs) error
	ConsumeTraces(context.Context, ptrace.Traces) error
}

// Stability is the stability level of each signal (the generated metadata's).
type Stability struct {
	Metrics, Logs, Traces component.StabilityLevel
}

// NewFactory returns the factory of a file exporter whose configuration is C: for every
// signal, newExporter makes the instance, which runs under exporterhelper with the
// configured timeout, retry and sending queue, and never mutates the data.
func NewFactory[C Configured, E SignalExporter](
	typ component.Type,
	createDefaultConfig component.CreateDefaultConfigFunc,
	st Stability,
	newExporter func(cfg C, signal string, set exporter.Settings) (E, error),
) exporter.Factory {
	return exporter.NewFactory(
		typ,
		createDefaultConfig,
		exporter.WithMetrics(create(newExporter, SignalMetrics, func(e E) consumeFunc[exporter.Metrics] {
			return func(ctx context.Context, set exporter.Settings, cfg component.Config, opts ...exporterhelper.Option) (exporter.Metrics, error) {
				return exporterhelper.NewMetrics(ctx, set, cfg, e.ConsumeMetrics, opts...)
			}
		}), st.Metrics),
		exporter.WithLogs(create(newExporter, SignalLogs, func(e E) consumeFunc[exporter.Logs] {
			return func(ctx context.Context, set exporter.Settings, cfg component.Config, opts ...exporterhelper.Option) (exporter.Logs, error) {
				return exporterhelper.NewLogs(ctx, set, cfg, e.ConsumeLogs, opts...)
			}
		}), st.Logs),
		exporter.WithTraces(create(newExporter, SignalTraces, func(e E) consumeFunc[exporter.Traces] {
			return func(ctx context.Context, set exporter.Settings, cfg component.Config, opts ...exporterhelper.Option) (exporter.Traces, error) {
				return exporterhelper.NewTraces(ctx, set, cfg, e.ConsumeTraces, opts...)
			}
		}), st.Traces),
	)
}

// consumeFunc wraps an exporter's consume function with exporterhelper (NewMetrics,
// NewLogs or NewTraces).
type consumeFunc[X any] func(context.Context, exporter.Settings, component.Config, ...exporterhelper.Option) (X, error)

// create is the create function of one signal: newExporter makes the instance, helper
// wraps its consume function of that signal.
func create[C Configured, E SignalExporter, X any](
	newExporter func(cfg C, signal string, set exporter.Settings) (E, error),
	signal string,
	helper func(E) consumeFunc[X],
) func(context.Context, exporter.Settings, component.Config) (X, error) {
	return func(ctx context.Context, set exporter.Settings, cfg component.Config) (X, error) {
		c := cfg.(C)
		e, err := newExporter(c, signal, set)
		if err != nil {
			var none X
			return none, err
		}
		return helper(e)(ctx, set, cfg, helperOptions(c.FileExport(), e)...)
	}
}

func helperOptions(cfg *Config, e SignalExporter) []exporterhelper.Option {
	return []exporterhelper.Option{
		exporterhelper.WithStart(e.Start),
		exporterhelper.WithShutdown(e.Shutdown),
		exporterhelper.WithTimeout(cfg.TimeoutConfig),
		exporterhelper.WithRetry(cfg.RetryConfig),
		exporterhelper.WithQueue(cfg.QueueConfig),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
	}
}
