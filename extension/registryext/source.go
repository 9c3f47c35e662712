// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

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

// SourceStats is the state of a metrics source in /v1/stats.
type SourceStats struct {
	Name                  string       `json:"name"`
	ComponentID           string       `json:"component_id"`
	Strategy              string       `json:"strategy"`
	Capabilities          Capabilities `json:"capabilities"`
	SeriesCount           int          `json:"series_count"`
	LastSync              *time.Time   `json:"last_sync"`
	LastSyncSuccess       *bool        `json:"last_sync_success"`
	LastSyncDurationMs    *float64     `json:"last_sync_duration_ms"`
	LastSyncError         *string      `json:"last_sync_error"`
	LockHolder            string       `json:"lock_holder"`
	Syncs                 uint64       `json:"syncs"`
	SyncFailures          uint64       `json:"sync_failures"`
	RegisteredAt          time.Time    `json:"registered_at"`
	SnapshotFailures      uint64       `json:"snapshot_failures"`
	LastSnapshotError     *string      `json:"last_snapshot_error"`
	LastSnapshotErrorTime *time.Time   `json:"last_snapshot_error_at"`
}

// sourceEntry is a registered source and what was reported about it.
type sourceEntry struct {
	name       string
	id         component.ID
	src        MetricsSource
	registered time.Time

	// guarded by Registry.statsMu
	syncs, syncFailures uint64
	lastSync            time.Time
	lastSyncOK          bool
	lastSyncDur         time.Duration
	lastSyncErr         string
	lastSyncStrategy    string
	lastSyncSeries      int
	lockHolder          string
	snapFailures        uint64
	lastSnapErr         string
	lastSnapErrAt       time.Time
	reported            bool
}

// SourceHandle is what a metrics source gets back from RegisterMetricsSource. The methods
// of a nil *SourceHandle do nothing, so a component that found no registry needs no
// checks. A handle whose source was unregistered or replaced does nothing either.
type SourceHandle struct {
	r *Registry
	e *sourceEntry
}

// Name is the source's name in the registry.
func (h *SourceHandle) Name() string {
	if h == nil {
		return ""
	}
	return h.e.name
}

// ReportCacheSync records a sync: it updates /v1/stats and emits
// tasker.telemetry.cache_synced.
func (h *SourceHandle) ReportCacheSync(s CacheSync) {
	if h == nil {
		return
	}
	h.r.reportCacheSync(h.e, s)
}

// Unregister removes the source, if it is still the one registered under its name.
func (h *SourceHandle) Unregister() error {
	if h == nil {
		return nil
	}
	return h.r.unregisterSource(h.e)
}
