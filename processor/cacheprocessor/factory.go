// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend/memcachedbackend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend/redisbackend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/metadata"
)

// NewFactory creates the tasker_cache processor factory.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		metadata.Type,
		createDefaultConfig,
		processor.WithMetrics(createMetrics, metadata.MetricsStability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{
		Backend:           BackendMemory,
		Interval:          30 * time.Second,
		Retention:         5 * time.Minute,
		ExportTimeout:     30 * time.Second,
		SafetyMargin:      time.Minute,
		LockTimeout:       90 * time.Second,
		RetryOnFailure:    defaultRetry(),
		Temporality:       TemporalityCumulative,
		MaxSeries:         100_000,
		MaxBufferedPoints: 100_000,
		Redis:             redisbackend.NewDefaultConfig(),
		Memcached:         memcachedbackend.NewDefaultConfig(),
	}
}

// defaultRetry is exporterhelper's default retry_on_failure, with the earlier
// releases' doubling and one-minute ceiling, and no max_elapsed_time (retries end when
// the next interval is due).
func defaultRetry() configretry.BackOffConfig {
	r := configretry.NewDefaultBackOffConfig()
	r.Multiplier, r.MaxInterval, r.MaxElapsedTime = 2, time.Minute, 0
	return r
}

func createMetrics(_ context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
	return newCacheProcessor(set, cfg.(*Config), next)
}
