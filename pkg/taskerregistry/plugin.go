// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerregistry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// DefaultPluginVersion is the version a plugin gets when it declares none (Tasker's
// BaseExporter default).
const DefaultPluginVersion = "1.0.0"

// Plugin describes a plugin at registration: Tasker's BaseExporter metadata (name,
// version, description, supported formats) plus the collector component behind it.
//
// Implementation is what the plugin can do; the registry inspects it when the plugin is
// registered (Tasker's InterfaceValidator):
//   - nil: a plugin that only reports its exports (a file exporter writing in its pipeline);
//   - an [Encoder]: the plugin encodes a metrics snapshot on demand (GET /v1/export,
//     Registry.Export) for each of its formats;
//   - an [Observer]: the plugin is told of every lifecycle event (Tasker's on_cache_sync,
//     on_export_request and on_export_complete hooks).
//
// A non-nil Implementation must be at least one of these. Every plugin declares at least
// one format, except one that is only an Observer.
type Plugin struct {
	// Name is unique in the registry. Empty means ComponentID.String().
	// Letters, digits and _ . - / only, at most 128 bytes.
	Name string
	// Version of the plugin; empty means DefaultPluginVersion.
	Version string
	// Description is shown in /v1/plugins.
	Description string
	// Formats the plugin produces, e.g. "json", "csv", "prometheus". Indexed lower-case;
	// at least one unless the plugin is only an Observer. Letters, digits and _ . + - only, at most 32 bytes.
	Formats []string
	// ComponentID and Kind of the collector component behind the plugin (zero for a plugin
	// that is no component).
	ComponentID component.ID
	Kind        component.Kind
	// Options are free-form key/values shown in /v1/plugins and in the plugin_registered
	// event (Tasker's register(**options)), e.g. the exporter's path.
	Options map[string]string
	// Implementation: nil, an Encoder and/or an Observer (see above).
	Implementation any
}

// Encoder is implemented by a plugin that encodes a metrics snapshot on demand.
//
// Encode writes md in the given format (one of the plugin's formats, lower-case) to w. md
// is shared and must be treated as read-only. The registry buffers w, so an Encode that
// fails after writing part of its output leaves no trace: the next plugin for the format
// is tried (Tasker's execute_coordinated_export). Encode must honour ctx.
//
// MediaType tells how a format is served: its Content-Type (required, e.g.
// "text/csv; charset=utf-8") and the file extension used in Content-Disposition (without
// a dot, e.g. "csv"; empty serves the body inline). It is called at registration for every
// format, to validate it, and when serving.
type Encoder interface {
	Encode(ctx context.Context, format string, md pmetric.Metrics, w io.Writer) (Result, error)
	MediaType(format string) MediaType
}

// MediaType is how an encoded format is served over HTTP.
type MediaType struct {
	ContentType   string
	FileExtension string
}

// Result is what an Encoder reports about one encoding.
type Result struct {
	// Items is the number of data points encoded (Tasker's metrics_count).
	Items int
	// Bytes written. The registry counts the bytes itself and overwrites this field.
	Bytes int64
	// Dropped is the number of data points the format cannot represent (they are left
	// out, not an error).
	Dropped int
	// DroppedByReason optionally says why, as reason → points (the registry logs it and
	// counts it in its telemetry). Its values add up to Dropped.
	DroppedByReason map[string]int
	// ContentType optionally overrides MediaType's content type for this export (the
	// built-in encoder answers OpenMetrics when GET /metrics negotiated it).
	ContentType string
}

// Observer is implemented by a plugin that wants the lifecycle events. OnEvent is called
// synchronously after each event is recorded, outside the registry's locks, from the
// goroutine that caused the event: it must be fast and must not block. A panic in OnEvent
// is recovered and logged.
type Observer interface {
	OnEvent(Event)
}

// ValidationError is returned by Register for a plugin that does not meet the contract.
// Problems lists every problem found.
type ValidationError struct {
	Plugin   string
	Problems []string
}

func (e *ValidationError) Error() string {
	name := e.Plugin
	if name == "" {
		name = "(unnamed)"
	}
	return fmt.Sprintf("tasker_registry: invalid plugin %q: %s", name, strings.Join(e.Problems, "; "))
}

// ErrInvalidPlugin matches every *ValidationError with errors.Is.
var ErrInvalidPlugin = errors.New("tasker_registry: invalid plugin")

// ErrAlreadyRegistered is returned by Register and RegisterMetricsSource when a plugin or
// source of that name exists and WithReplace was not given (match it with errors.Is).
var ErrAlreadyRegistered = errors.New("tasker_registry: already registered")

// Is reports whether target is ErrInvalidPlugin.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidPlugin }
