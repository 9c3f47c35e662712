// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package fileexport

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/metric"

	"github.com/tasker-systems/otelcol-tasker/internal/filewriter"
	"github.com/tasker-systems/otelcol-tasker/internal/partial"
	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// Telemetry is the part of an exporter's own telemetry (its generated TelemetryBuilder)
// the shared lifecycle records into.
type Telemetry struct {
	// WriteFailures counts the writes that failed.
	WriteFailures metric.Int64Counter
	// TornRecordsRepaired counts the torn last records cut off at start.
	TornRecordsRepaired metric.Int64Counter
	// Shutdown releases the telemetry (called at the exporter's shutdown).
	Shutdown func()
}

// TelemetryOf is the Telemetry function of an exporter whose generated telemetry builder
// newBuilder (its metadata.NewTelemetryBuilder) makes builders B from set; counters picks
// a builder's write failures and repaired torn records counters.
func TelemetryOf[B interface{ Shutdown() }, O any](
	newBuilder func(component.TelemetrySettings, ...O) (B, error),
	set component.TelemetrySettings,
	counters func(B) (writeFailures, tornRecordsRepaired metric.Int64Counter),
) func() (Telemetry, error) {
	return func() (Telemetry, error) {
		b, err := newBuilder(set)
		if err != nil {
			return Telemetry{}, err
		}
		w, r := counters(b)
		return Telemetry{WriteFailures: w, TornRecordsRepaired: r, Shutdown: b.Shutdown}, nil
	}
}

// Settings is what an exporter tells the shared lifecycle about itself and one signal.
type Settings struct {
	// Type is the component type, the first part of every start error.
	Type component.Type
	// Signal is the signal of the instance: metrics, logs or traces.
	Signal string
	// Ext is the extension of the files written, without the dot (json, csv).
	Ext string
	// Format is what the signal is written as, reported with every export.
	Format string
	// Telemetry builds the exporter's telemetry (after the output is made).
	Telemetry func() (Telemetry, error)
	// Plugin describes the exporter to tasker_registry (called at start, when a registry
	// is running).
	Plugin func() (taskerregistry.Plugin, error)
}

// Exporter is the lifecycle of one signal's file exporter: Start registers with
// tasker_registry and opens the output, Report tells the registry about each export,
// Shutdown unregisters and closes. The exporters embed it and add their encoding.
type Exporter struct {
	// Out is the file output of the signal.
	Out *filewriter.Output
	// Signal is the signal written: metrics, logs or traces.
	Signal string
	// Format is what the signal is written as (reported to the registry).
	Format string
	// Handle is the registration with tasker_registry (set by Start; nil without a
	// registry, which makes every report a no-op).
	Handle *taskerregistry.PluginHandle

	typ      component.Type
	id       component.ID
	registry *component.ID
	plugin   func() (taskerregistry.Plugin, error)
	tel      Telemetry
}

// New makes the output of one signal and the lifecycle around it. The output's hooks
// count failed writes and repaired torn records in the exporter's telemetry.
func New(cfg *Config, set exporter.Settings, s Settings) (*Exporter, error) {
	out, err := filewriter.NewOutput(cfg.Config, s.Signal, s.Ext, set.Logger)
	if err != nil {
		return nil, err
	}
	tel, err := s.Telemetry()
	if err != nil {
		return nil, err
	}
	out.SetHooks(filewriter.Hooks{
		WriteFailed:  func() { tel.WriteFailures.Add(context.Background(), 1) },
		TornRepaired: func(int64) { tel.TornRecordsRepaired.Add(context.Background(), 1) },
	})
	return &Exporter{
		Out:      out,
		Signal:   s.Signal,
		Format:   s.Format,
		typ:      s.Type,
		id:       set.ID,
		registry: cfg.Registry,
		plugin:   s.Plugin,
		tel:      tel,
	}, nil
}

// Start finds the tasker_registry (the configured one, else the only one running, if
// any), registers the exporter with it, then opens the output.
func (e *Exporter) Start(_ context.Context, host component.Host) error {
	reg, err := taskerregistry.Find(host, e.registry)
	if err != nil {
		return e.startError(err)
	}
	p, err := e.plugin()
	if err != nil {
		return e.startError(err)
	}
	// The collector makes one instance per signal with the same id: they share the plugin.
	h, err := reg.Register(p, taskerregistry.WithShared())
	if err != nil {
		return e.startError(fmt.Errorf("registering with tasker_registry: %w", err))
	}
	if err := e.Out.Start(); err != nil {
		_ = h.Unregister()
		return e.startError(err)
	}
	e.Handle = h
	return nil
}

// startError prefixes an error of Start with the component type, then the instance and
// its signal: "tasker_json: tasker_json/x (metrics): ...".
func (e *Exporter) startError(err error) error {
	return fmt.Errorf("%s: %s (%s): %w", e.typ, e.id, e.Signal, err)
}

// Shutdown unregisters from the registry (if registered), closes the output and
// releases the telemetry.
func (e *Exporter) Shutdown(context.Context) error {
	if e.tel.Shutdown != nil {
		defer e.tel.Shutdown()
	}
	return errors.Join(e.Handle.Unregister(), e.Out.Shutdown())
}

// Report tells the registry about one export that began at start (a no-op without a
// registry).
func (e *Exporter) Report(start time.Time, items int, bytes int64, err error) {
	e.Handle.ReportExport(taskerregistry.ExportReport{
		Format:   e.Format,
		Items:    items,
		Bytes:    bytes,
		Duration: time.Since(start),
		Err:      err,
		Signal:   e.Signal,
	})
}

// Retryable wraps the error of a failed export with the part of the batch to hand back
// for retry (consumererror.NewMetrics, NewLogs or NewTraces): the whole batch, or the
// part not written (see partial).
func Retryable[T partial.Signal](err error, rest T) error {
	switch d := any(rest).(type) {
	case pmetric.Metrics:
		return consumererror.NewMetrics(err, d)
	case plog.Logs:
		return consumererror.NewLogs(err, d)
	case ptrace.Traces:
		return consumererror.NewTraces(err, d)
	}
	return err
}
