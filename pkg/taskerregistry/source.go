// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerregistry

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// MetricsSource is what the registry exports on demand: the tasker_cache processor's
// current aggregate. Both methods are called from HTTP handlers, concurrently with
// everything else, and must be safe for concurrent use.
type MetricsSource interface {
	// Snapshot returns the current aggregate (cumulative metrics by default). The
	// registry and the encoders only read it; it must not be changed afterwards by the
	// source either (return a copy, or a value the source no longer touches). Snapshot
	// must honour ctx (the extension applies export_timeout).
	Snapshot(ctx context.Context) (pmetric.Metrics, error)
	// Info describes the source now; it must be cheap (no I/O).
	Info() SourceInfo
}

// SourceInfo describes a metrics source: Tasker's cache strategy and capabilities.
type SourceInfo struct {
	// Strategy: local_only, distributed_basic or distributed_atomic (Tasker's names).
	Strategy string
	// Capabilities detected in the store.
	Capabilities Capabilities
	// SeriesCount is the number of series in the aggregate.
	SeriesCount int
	// LastSync is when the aggregate was last synchronised with the store (zero: never).
	LastSync time.Time
	// LockHolder is who holds the export lock, when known.
	LockHolder string
}

// Capabilities are what a cache store can do (Tasker's CacheCapabilities). The fields
// match those of the tasker_cache backend's Capabilities, so the processor converts with
// registryext.Capabilities(be.Capabilities()).
type Capabilities struct {
	Distributed     bool `json:"distributed"`
	AtomicIncrement bool `json:"atomic_increment"`
	Locking         bool `json:"locking"`
	TTL             bool `json:"ttl"`
}

// SourceRegistration registers a metrics source.
type SourceRegistration struct {
	// Name is unique among sources; empty means ComponentID.String(). Chosen in
	// /v1/export with ?source= when several sources are registered.
	Name        string
	ComponentID component.ID
	Source      MetricsSource
}

// CacheSync is one synchronisation of the aggregate with its store, as the tasker_cache
// processor reports it (Tasker's MetricsBackend#sync_to_cache! result).
type CacheSync struct {
	// Strategy in effect for this sync; empty means the source's Info().Strategy.
	Strategy string
	// SeriesCount synchronised (Tasker's metrics_count).
	SeriesCount int
	Duration    time.Duration
	// Err is nil for a successful sync.
	Err error
	// LockHolder is the holder of the export lock seen during the sync, when known.
	LockHolder string
	// Time of the sync; zero means now.
	Time time.Time
}

// ExportReport is one export done by a plugin in its pipeline (a batch written by a file
// exporter, say).
type ExportReport struct {
	// Format exported; empty means the plugin's first format.
	Format string
	// Items exported (data points, log records or spans).
	Items int
	// Bytes written.
	Bytes int64
	// Duration of the export.
	Duration time.Duration
	// Err is nil for a successful export.
	Err error
	// ExportID identifies the export in the event; empty means a new random id.
	ExportID string
	// Signal exported ("metrics", "logs", "traces"); optional, shown in the event.
	Signal string
}
