// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// Errors of Export; match them with errors.Is (or errors.As for the typed ones).
var (
	// ErrUnsupportedFormat: no Encoder plugin supports the format (*UnsupportedFormatError).
	ErrUnsupportedFormat = errors.New("tasker_registry: unsupported export format")
	// ErrNoMetricsSource: no metrics source is registered, or several are and none was chosen.
	ErrNoMetricsSource = errors.New("tasker_registry: no metrics source")
	// ErrSnapshot: the metrics source failed to produce its aggregate.
	ErrSnapshot = errors.New("tasker_registry: metrics source snapshot failed")
	// ErrAllPluginsFailed: every plugin for the format failed (*ExportFailedError).
	ErrAllPluginsFailed = errors.New("tasker_registry: all plugins failed")
)

// UnsupportedFormatError is returned by Export for a format no Encoder supports.
type UnsupportedFormatError struct {
	Format    string
	Supported []string
}

func (e *UnsupportedFormatError) Error() string {
	return fmt.Sprintf("Unsupported export format: %s (supported: %s)", e.Format, strings.Join(e.Supported, ", "))
}

// Is reports whether target is ErrUnsupportedFormat.
func (e *UnsupportedFormatError) Is(target error) bool { return target == ErrUnsupportedFormat }

// PluginError is one plugin's failure in an export.
type PluginError struct {
	Plugin string `json:"plugin"`
	Error  string `json:"error"`
}

// ExportFailedError is returned by Export when every plugin for the format failed.
type ExportFailedError struct {
	Format string
	Errors []PluginError
}

func (e *ExportFailedError) Error() string {
	parts := namesOf(e.Errors, func(pe PluginError) string { return pe.Plugin + ": " + pe.Error })
	return fmt.Sprintf("All plugins failed for format: %s (%s)", e.Format, strings.Join(parts, "; "))
}

// Is reports whether target is ErrAllPluginsFailed.
func (e *ExportFailedError) Is(target error) bool { return target == ErrAllPluginsFailed }

// ExportRequest asks for the current aggregate in a format.
type ExportRequest struct {
	// Format, matched lower-case.
	Format string
	// Source names the metrics source; empty means the only one registered.
	Source string
	// CorrelationID is recorded in the events; empty means the export id.
	CorrelationID string
	// Options are recorded in export_requested (Tasker's options).
	Options map[string]string
	// Quiet records no events (used by GET /metrics: scrapes would flood the ring). The
	// plugin's stats are still updated.
	Quiet bool
}

// ExportResult is a successful export.
type ExportResult struct {
	ExportID  string
	Format    string
	Plugin    string
	Source    string
	MediaType taskerregistry.MediaType
	// Data is the encoded aggregate.
	Data []byte
	// Items and Dropped as reported by the plugin.
	Items    int
	Dropped  int
	Duration time.Duration
	// Failed lists the plugins tried before the one that succeeded.
	Failed []PluginError
}

// Export encodes the current aggregate of a metrics source with the first plugin for the
// format that succeeds (Tasker's ExportCoordinator#execute_coordinated_export): an
// unsupported format is refused before anything happens; otherwise export_requested is
// emitted, the source's snapshot is taken, the plugins for the format are tried in
// registration order, and export_completed or export_failed is emitted.
func (r *Registry) Export(ctx context.Context, req ExportRequest) (*ExportResult, error) {
	format := strings.ToLower(strings.TrimSpace(req.Format))
	plugins := r.byFormat(format, true)
	if len(plugins) == 0 {
		return nil, &UnsupportedFormatError{Format: req.Format, Supported: r.ExportableFormats()}
	}
	start := r.now()
	id := newID()
	corr := req.CorrelationID
	if corr == "" {
		corr = id
	}
	base := func() map[string]any {
		return map[string]any{"export_id": id, "correlation_id": corr, "format": format, "origin": "on_demand"}
	}
	if !req.Quiet {
		p := base()
		opts := make(map[string]any, len(req.Options))
		for k, v := range req.Options {
			opts[k] = v
		}
		p["options"] = opts
		p["include_instances"] = false
		if req.Source != "" {
			p["source"] = req.Source
		}
		r.emit(taskerregistry.EventExportRequested, p)
	}
	fail := func(err error, src string, errs []PluginError) error {
		if !req.Quiet {
			p := base()
			p["success"] = false
			p["error"] = err.Error()
			p["duration_ms"] = durationMs(r.now().Sub(start))
			if src != "" {
				p["source"] = src
			}
			if len(errs) > 0 {
				m := make(map[string]any, len(errs))
				for _, pe := range errs {
					m[pe.Plugin] = pe.Error
				}
				p["plugin_errors"] = m
			}
			r.emit(taskerregistry.EventExportFailed, p)
		}
		return err
	}

	src, err := r.resolveSource(req.Source)
	if err != nil {
		return nil, fail(err, req.Source, nil)
	}
	md, err := r.snapshot(ctx, src)
	if err != nil {
		return nil, fail(err, src.name, nil)
	}

	var (
		failed []PluginError
		buf    bytes.Buffer
	)
	for _, e := range plugins {
		if err := ctx.Err(); err != nil {
			failed = append(failed, PluginError{Plugin: e.p.Name, Error: "not tried: " + err.Error()})
			break
		}
		buf.Reset()
		t0 := r.now()
		res, encErr := safeEncode(ctx, e.enc, format, md, &buf)
		d := r.now().Sub(t0)
		if encErr != nil {
			r.recordExport(e, t0, 0, 0, 0, d, encErr)
			failed = append(failed, PluginError{Plugin: e.p.Name, Error: encErr.Error()})
			r.logger.Warn("Plugin failed to export", zap.String("plugin", e.p.Name), zap.String("format", format), zap.Error(encErr))
			continue
		}
		res.Bytes = int64(buf.Len())
		r.recordExport(e, t0, res.Items, res.Bytes, res.Dropped, d, nil)
		r.reportDropped(e, format, res)
		mt := safeMediaType(e.enc, format)
		if res.ContentType != "" {
			mt.ContentType = res.ContentType
		}
		out := &ExportResult{
			ExportID: id, Format: format, Plugin: e.p.Name, Source: src.name,
			MediaType: mt, Data: buf.Bytes(),
			Items: res.Items, Dropped: res.Dropped, Duration: r.now().Sub(start), Failed: failed,
		}
		if !req.Quiet {
			p := base()
			p["success"] = true
			p["metrics_count"] = res.Items
			p["bytes"] = res.Bytes
			p["dropped"] = res.Dropped
			p["duration_ms"] = durationMs(out.Duration)
			p["plugin_name"] = e.p.Name
			p["plugin_version"] = e.p.Version
			p["source"] = src.name
			addComponent(p, e.p.ComponentID, e.p.Kind)
			r.emit(taskerregistry.EventExportCompleted, p)
		}
		return out, nil
	}
	return nil, fail(&ExportFailedError{Format: format, Errors: failed}, src.name, failed)
}

// resolveSource picks the named source, or the only one.
func (r *Registry) resolveSource(name string) (*sourceEntry, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if name != "" {
		if s, ok := r.sources[name]; ok {
			return s, nil
		}
		return nil, fmt.Errorf("%w: metrics source %q is not registered (registered: %s)", ErrNotFound, name, r.sourceNamesLocked())
	}
	switch len(r.sourceOrder) {
	case 0:
		return nil, fmt.Errorf("%w is registered: add the tasker_cache processor to a metrics pipeline of this collector (it registers its aggregate with tasker_registry when it starts)", ErrNoMetricsSource)
	case 1:
		return r.sourceOrder[0], nil
	default:
		return nil, fmt.Errorf("%w chosen: several metrics sources are registered (%s); choose one with source", ErrNoMetricsSource, r.sourceNamesLocked())
	}
}

func (r *Registry) sourceNamesLocked() string {
	if len(r.sourceOrder) == 0 {
		return "none"
	}
	return strings.Join(namesOf(r.sourceOrder, (*sourceEntry).sourceName), ", ")
}

func (r *Registry) snapshot(ctx context.Context, s *sourceEntry) (md pmetric.Metrics, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
		if err != nil {
			err = fmt.Errorf("%w: source %q: %w", ErrSnapshot, s.name, err)
			r.statsMu.Lock()
			s.snapFailures++
			s.lastSnapErr, s.lastSnapErrAt = err.Error(), r.now()
			r.statsMu.Unlock()
		}
	}()
	return s.src.Snapshot(ctx)
}

func safeEncode(ctx context.Context, enc taskerregistry.Encoder, format string, md pmetric.Metrics, w io.Writer) (res taskerregistry.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("encoder panicked: %v", p)
		}
	}()
	return enc.Encode(ctx, format, md, w)
}

// safeMediaType calls MediaType (validated at registration), falling back to a generic
// type if it panics or answers nothing now.
func safeMediaType(enc taskerregistry.Encoder, format string) (mt taskerregistry.MediaType) {
	defer func() {
		if recover() != nil || mt.ContentType == "" {
			mt = taskerregistry.MediaType{ContentType: "application/octet-stream"}
		}
	}()
	return enc.MediaType(format)
}
