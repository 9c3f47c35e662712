// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
	"github.com/tasker-systems/otelcol-tasker/receiver/taskerreceiver/internal/metadata"
)

// Inputs, the value of the `input` attribute of the receiver's telemetry.
const (
	inputHTTP = "http"
	inputLogs = "logs"
)

type taskerReceiver struct {
	cfg *Config
	set receiver.Settings
	tel *metadata.TelemetryBuilder

	nextLogs    consumer.Logs
	nextTraces  consumer.Traces
	nextMetrics consumer.Metrics

	b *builder

	// The collector's standard receiver telemetry (otelcol_receiver_accepted_* and
	// _refused_* items, by transport), one report per input.
	obsHTTP, obsFiles *receiverhelper.ObsReport

	startOnce, stopOnce sync.Once
	startErr            error
	unregister          func()

	server   *http.Server
	addr     string // the listener's address, once started
	serverWG sync.WaitGroup
	files    *fileInput

	// The push and scrape inputs (prom_*.go): start times of cumulative series.
	promStarts cumulativeStarts
	scrape     *scraper
}

func newReceiver(set receiver.Settings, cfg *Config) (*taskerReceiver, error) {
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	b, err := newBuilder(cfg, set.BuildInfo)
	if err != nil {
		return nil, err
	}
	obsHTTP, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{ReceiverID: set.ID, Transport: "http", ReceiverCreateSettings: set})
	if err != nil {
		return nil, err
	}
	obsFiles, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{ReceiverID: set.ID, Transport: "file", ReceiverCreateSettings: set})
	if err != nil {
		return nil, err
	}
	return &taskerReceiver{cfg: cfg, set: set, tel: tel, b: b, obsHTTP: obsHTTP, obsFiles: obsFiles}, nil
}

// Start starts the inputs, once for every pipeline the receiver is in.
func (r *taskerReceiver) Start(ctx context.Context, host component.Host) error {
	r.startOnce.Do(func() { r.startErr = r.start(ctx, host) })
	return r.startErr
}

func (r *taskerReceiver) start(ctx context.Context, host component.Host) error {
	r.b.wantLogs = r.nextLogs != nil
	r.b.wantTraces = r.nextTraces != nil
	r.b.wantMetrics = r.nextMetrics != nil
	r.b.startTime = r.b.nowFunc()
	if r.cfg.HTTP.HasValue() {
		if err := r.startHTTP(ctx, host); err != nil {
			return err
		}
	}
	if r.cfg.Logs.HasValue() {
		if err := r.startFiles(ctx, host); err != nil {
			return errors.Join(err, r.stopHTTP(ctx))
		}
	}
	if r.cfg.Scrape.HasValue() {
		if err := r.startScrape(ctx, host); err != nil {
			return errors.Join(err, r.stopHTTP(ctx), r.stopFiles())
		}
	}
	return nil
}

// Shutdown stops the inputs; safe to call several times and without Start.
func (r *taskerReceiver) Shutdown(ctx context.Context) error {
	var err error
	r.stopOnce.Do(func() {
		err = errors.Join(r.stopScrape(), r.stopHTTP(ctx), r.stopFiles())
		if r.unregister != nil {
			r.unregister()
		}
		r.tel.Shutdown()
	})
	return err
}

// consume sends a batch to the next consumers; the errors are joined (every signal is
// still sent). Each signal is reported as an operation of the input's obsreport.
func (r *taskerReceiver) consume(ctx context.Context, input string, out *batch) error {
	obs := r.obsHTTP
	if input == inputLogs {
		obs = r.obsFiles
	}
	var errs []error
	if n := out.logs.LogRecordCount(); r.nextLogs != nil && n > 0 {
		octx := obs.StartLogsOp(ctx)
		err := r.nextLogs.ConsumeLogs(octx, out.logs)
		obs.EndLogsOp(octx, "tasker", n, err)
		if err != nil {
			errs = append(errs, err)
		}
	}
	if n := out.traces.SpanCount(); r.nextTraces != nil && n > 0 {
		octx := obs.StartTracesOp(ctx)
		err := r.nextTraces.ConsumeTraces(octx, out.traces)
		obs.EndTracesOp(octx, "tasker", n, err)
		if err != nil {
			errs = append(errs, err)
		}
	}
	if n := out.metrics.DataPointCount(); r.nextMetrics != nil && n > 0 {
		octx := obs.StartMetricsOp(ctx)
		err := r.nextMetrics.ConsumeMetrics(octx, out.metrics)
		obs.EndMetricsOp(octx, "tasker", n, err)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// The attribute sets of the receiver's telemetry, built once.
var (
	optInputHTTP = metric.WithAttributeSet(attribute.NewSet(attribute.String("input", inputHTTP)))
	optInputLogs = metric.WithAttributeSet(attribute.NewSet(attribute.String("input", inputLogs)))
)

func inputOption(input string) metric.MeasurementOption {
	switch input {
	case inputHTTP:
		return optInputHTTP
	case inputLogs:
		return optInputLogs
	}
	return metric.WithAttributeSet(attribute.NewSet(attribute.String("input", input)))
}

// record adds a batch's stats to the receiver's telemetry.
func (r *taskerReceiver) record(ctx context.Context, input string, st stats, rejected int64) {
	opt := inputOption(input)
	if st.accepted > 0 {
		r.tel.ReceiverTaskerEventsAccepted.Add(ctx, st.accepted, opt)
	}
	if rejected > 0 {
		r.tel.ReceiverTaskerEventsRejected.Add(ctx, rejected, opt)
	}
	if st.dropped > 0 {
		r.tel.ReceiverTaskerEventsDropped.Add(ctx, st.dropped, opt)
	}
	if st.duplicates > 0 {
		r.tel.ReceiverTaskerDuplicatesDropped.Add(ctx, st.duplicates, opt)
	}
	if st.evictions > 0 {
		r.tel.ReceiverTaskerStartTableEvictions.Add(ctx, st.evictions)
		r.set.Logger.Debug("start table evictions", zap.Int64("evicted", st.evictions))
	}
	if st.plain > 0 {
		r.tel.ReceiverTaskerPlainLines.Add(ctx, st.plain, opt)
	}
}

// EnvironmentHeader names the deployment of the events of an HTTP request (e.g.
// production, staging) when they carry no `environment` field; it is part of their
// trace and span ids. A forwarder that serves several deployments sets it.
const EnvironmentHeader = "X-Tasker-Environment"

// buildEvents is the entry of the HTTP input for parsed events; env is the request's
// EnvironmentHeader.
func (r *taskerReceiver) buildEvents(events []tasker.Event, env string) *batch {
	return r.b.build(events, strings.TrimSpace(env), true)
}
