// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/tasker-systems/otelcol-tasker/receiver/taskerreceiver/internal/metadata"
)

// NewFactory creates the tasker receiver factory.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(
		metadata.Type,
		createDefaultConfig,
		receiver.WithLogs(createLogs, metadata.LogsStability),
		receiver.WithTraces(createTraces, metadata.TracesStability),
		receiver.WithMetrics(createMetrics, metadata.MetricsStability),
	)
}

// One receiver serves every pipeline it is in (one listener, one file tail, one start
// table): the instances are shared per configuration, as contrib's sharedcomponent does.
var (
	sharedMu sync.Mutex
	shared   = map[*Config]*taskerReceiver{}
)

func getReceiver(set receiver.Settings, cfg *Config) (*taskerReceiver, error) {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if r := shared[cfg]; r != nil {
		return r, nil
	}
	r, err := newReceiver(set, cfg)
	if err != nil {
		return nil, err
	}
	r.unregister = func() {
		sharedMu.Lock()
		delete(shared, cfg)
		sharedMu.Unlock()
	}
	shared[cfg] = r
	return r, nil
}

func createLogs(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	r, err := getReceiver(set, cfg.(*Config))
	if err != nil {
		return nil, err
	}
	r.nextLogs = next
	return r, nil
}

func createTraces(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Traces) (receiver.Traces, error) {
	r, err := getReceiver(set, cfg.(*Config))
	if err != nil {
		return nil, err
	}
	r.nextTraces = next
	return r, nil
}

func createMetrics(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Metrics) (receiver.Metrics, error) {
	r, err := getReceiver(set, cfg.(*Config))
	if err != nil {
		return nil, err
	}
	r.nextMetrics = next
	return r, nil
}
