// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// SourceStats is the state of a metrics source in /v1/stats.
type SourceStats struct {
	Name                  string                      `json:"name"`
	ComponentID           string                      `json:"component_id"`
	Strategy              string                      `json:"strategy"`
	Capabilities          taskerregistry.Capabilities `json:"capabilities"`
	SeriesCount           int                         `json:"series_count"`
	LastSync              *time.Time                  `json:"last_sync"`
	LastSyncSuccess       *bool                       `json:"last_sync_success"`
	LastSyncDurationMs    *float64                    `json:"last_sync_duration_ms"`
	LastSyncError         *string                     `json:"last_sync_error"`
	LockHolder            string                      `json:"lock_holder"`
	Syncs                 uint64                      `json:"syncs"`
	SyncFailures          uint64                      `json:"sync_failures"`
	RegisteredAt          time.Time                   `json:"registered_at"`
	SnapshotFailures      uint64                      `json:"snapshot_failures"`
	LastSnapshotError     *string                     `json:"last_snapshot_error"`
	LastSnapshotErrorTime *time.Time                  `json:"last_snapshot_error_at"`
}

// sourceEntry is a registered source and what was reported about it.
type sourceEntry struct {
	name       string
	id         component.ID
	src        taskerregistry.MetricsSource
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
func (h *SourceHandle) ReportCacheSync(s taskerregistry.CacheSync) {
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

// RegisterMetricsSource registers the source of on-demand exports (the tasker_cache
// processor's aggregate). A duplicate name is refused with ErrAlreadyRegistered unless
// WithReplace is given. Call the handle's Unregister from the component's Shutdown.
func (r *Registry) RegisterMetricsSource(s taskerregistry.SourceRegistration, opts ...taskerregistry.RegisterOption) (*SourceHandle, error) {
	if r == nil {
		return nil, nil
	}
	o := taskerregistry.ApplyRegisterOptions(opts...)
	name := s.Name
	if name == "" && s.ComponentID != (component.ID{}) {
		name = s.ComponentID.String()
	}
	var problems []string
	switch {
	case name == "":
		problems = append(problems, "name is empty (set Name or ComponentID)")
	case len(name) > maxNameLen || !validName(name):
		problems = append(problems, fmt.Sprintf("name %q may contain only letters, digits and _ . - / (at most %d bytes), and must start with a letter or digit", name, maxNameLen))
	}
	if s.Source == nil {
		problems = append(problems, "Source is nil")
	}
	if len(problems) > 0 {
		return nil, &taskerregistry.ValidationError{Plugin: name, Problems: problems}
	}
	e := &sourceEntry{name: name, id: s.ComponentID, src: s.Source, registered: r.now()}
	r.mu.Lock()
	old, exists := r.sources[name]
	if exists && !o.Replace {
		r.mu.Unlock()
		return nil, fmt.Errorf("%w: metrics source %q already registered; register it with WithReplace() to override", taskerregistry.ErrAlreadyRegistered, name)
	}
	r.sourceOrder = replaceOrAppend(r.sourceOrder, old, e)
	r.sources[name] = e
	r.mu.Unlock()
	r.logger.Info("Metrics source registered", zap.String("source", name), zap.Bool("replaced", exists))
	return &SourceHandle{r: r, e: e}, nil
}

// UnregisterMetricsSource removes the source registered under name (ErrNotFound if none).
func (r *Registry) UnregisterMetricsSource(name string) error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	e, ok := r.sources[name]
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: metrics source %q is not registered", ErrNotFound, name)
	}
	return r.unregisterSource(e)
}

func (r *Registry) unregisterSource(e *sourceEntry) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sources[e.name] != e {
		return nil
	}
	delete(r.sources, e.name)
	r.sourceOrder = remove(r.sourceOrder, e)
	return nil
}

// MetricsSources returns the names of the registered sources, in registration order.
func (r *Registry) MetricsSources() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return namesOf(r.sourceOrder, (*sourceEntry).sourceName)
}

func (e *sourceEntry) sourceName() string { return e.name }

func (r *Registry) reportCacheSync(e *sourceEntry, s taskerregistry.CacheSync) {
	r.mu.RLock()
	current := r.sources[e.name] == e
	r.mu.RUnlock()
	if !current {
		return
	}
	at := s.Time
	if at.IsZero() {
		at = r.now()
	}
	strategy := s.Strategy
	if strategy == "" {
		strategy = safeInfo(e.src).Strategy
	}
	r.statsMu.Lock()
	e.reported = true
	e.syncs++
	e.lastSync, e.lastSyncOK, e.lastSyncDur = at, s.Err == nil, s.Duration
	e.lastSyncStrategy, e.lastSyncSeries = strategy, s.SeriesCount
	if s.Err != nil {
		e.syncFailures++
		e.lastSyncErr = s.Err.Error()
	} else {
		e.lastSyncErr = ""
	}
	if s.LockHolder != "" {
		e.lockHolder = s.LockHolder
	}
	r.statsMu.Unlock()

	payload := map[string]any{
		"strategy":      strategy,
		"metrics_count": s.SeriesCount,
		"duration_ms":   durationMs(s.Duration),
		"success":       s.Err == nil,
		"source":        e.name,
		"synced_at":     at.UTC().Format(time.RFC3339Nano),
	}
	if s.LockHolder != "" {
		payload["lock_holder"] = s.LockHolder
	}
	if s.Err != nil {
		payload["error"] = s.Err.Error()
	}
	addComponent(payload, e.id, component.KindProcessor)
	if e.id == (component.ID{}) {
		delete(payload, "component_kind")
	}
	r.emit(taskerregistry.EventCacheSynced, payload)
}

// safeInfo calls Info, turning a panic into an empty SourceInfo.
func safeInfo(src taskerregistry.MetricsSource) (info taskerregistry.SourceInfo) {
	defer func() {
		if recover() != nil {
			info = taskerregistry.SourceInfo{}
		}
	}()
	return src.Info()
}

func (r *Registry) sourceStats(e *sourceEntry) SourceStats {
	info := safeInfo(e.src)
	st := SourceStats{
		Name:         e.name,
		Strategy:     info.Strategy,
		Capabilities: info.Capabilities,
		SeriesCount:  info.SeriesCount,
		LockHolder:   info.LockHolder,
		RegisteredAt: e.registered.UTC(),
	}
	if e.id != (component.ID{}) {
		st.ComponentID = e.id.String()
	}
	r.statsMu.Lock()
	defer r.statsMu.Unlock()
	st.Syncs, st.SyncFailures, st.SnapshotFailures = e.syncs, e.syncFailures, e.snapFailures
	if st.Strategy == "" {
		st.Strategy = e.lastSyncStrategy
	}
	if st.LockHolder == "" {
		st.LockHolder = e.lockHolder
	}
	last := info.LastSync
	if e.reported {
		if last.IsZero() || e.lastSync.After(last) {
			last = e.lastSync
		}
		ok, ms := e.lastSyncOK, durationMs(e.lastSyncDur)
		st.LastSyncSuccess, st.LastSyncDurationMs = &ok, &ms
		if e.lastSyncErr != "" {
			msg := e.lastSyncErr
			st.LastSyncError = &msg
		}
	}
	if !last.IsZero() {
		t := last.UTC()
		st.LastSync = &t
	}
	if e.lastSnapErr != "" {
		msg, t := e.lastSnapErr, e.lastSnapErrAt.UTC()
		st.LastSnapshotError, st.LastSnapshotErrorTime = &msg, &t
	}
	return st
}
