// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"sort"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// DefaultPluginVersion is the version a plugin gets when it declares none (Tasker's
// BaseExporter default).
const DefaultPluginVersion = "1.0.0"

// Limits of what a plugin may declare.
const (
	maxNameLen   = 128
	maxFormatLen = 32
)

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

// Is reports whether target is ErrInvalidPlugin.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidPlugin }

var validKinds = map[component.Kind]string{
	component.KindReceiver:  "receiver",
	component.KindProcessor: "processor",
	component.KindExporter:  "exporter",
	component.KindExtension: "extension",
	component.KindConnector: "connector",
}

func kindName(k component.Kind) string { return validKinds[k] }

// validatePlugin checks p and returns its normalized copy (name defaulted, version
// defaulted, formats lower-cased, trimmed, de-duplicated and sorted).
func validatePlugin(p Plugin) (Plugin, error) {
	var problems []string
	if p.Name == "" && p.ComponentID != (component.ID{}) {
		p.Name = p.ComponentID.String()
	}
	switch {
	case p.Name == "":
		problems = append(problems, "name is empty (set Name or ComponentID)")
	case len(p.Name) > maxNameLen:
		problems = append(problems, fmt.Sprintf("name is longer than %d bytes", maxNameLen))
	case !validName(p.Name):
		problems = append(problems, fmt.Sprintf("name %q may contain only letters, digits and _ . - /, and must start with a letter or digit", p.Name))
	}
	if p.Version == "" {
		p.Version = DefaultPluginVersion
	} else if strings.ContainsAny(p.Version, "\n\r") {
		problems = append(problems, "version contains a line break")
	}

	declared := len(p.Formats)
	formats := make([]string, 0, len(p.Formats))
	seen := make(map[string]bool, len(p.Formats))
	for _, f := range p.Formats {
		lf := strings.ToLower(strings.TrimSpace(f))
		switch {
		case lf == "":
			problems = append(problems, "a format is empty")
			continue
		case len(lf) > maxFormatLen:
			problems = append(problems, fmt.Sprintf("format %q is longer than %d bytes", f, maxFormatLen))
			continue
		case !validFormat(lf):
			problems = append(problems, fmt.Sprintf("format %q may contain only letters, digits and _ . + -", f))
			continue
		}
		if !seen[lf] {
			seen[lf] = true
			formats = append(formats, lf)
		}
	}
	sort.Strings(formats)
	p.Formats = formats

	enc, isEnc := p.Implementation.(Encoder)
	_, isObs := p.Implementation.(Observer)
	if declared == 0 && (isEnc || !isObs) {
		problems = append(problems, "no formats: a plugin that encodes or exports declares at least one (Tasker's supported_formats)")
	}
	if p.Implementation != nil {
		if !isEnc && !isObs {
			problems = append(problems, fmt.Sprintf("implementation %T is neither an Encoder (Encode, MediaType) nor an Observer (OnEvent); use nil for a plugin that only reports its exports", p.Implementation))
		}
		if isEnc {
			for _, f := range formats {
				if msg := checkMediaType(enc, f); msg != "" {
					problems = append(problems, msg)
				}
			}
		}
	}
	for k := range p.Options {
		if k == "" {
			problems = append(problems, "an option has an empty key")
			break
		}
	}
	if len(problems) > 0 {
		return p, &ValidationError{Plugin: p.Name, Problems: problems}
	}
	if p.Options != nil {
		opts := make(map[string]string, len(p.Options))
		for k, v := range p.Options {
			opts[k] = v
		}
		p.Options = opts
	}
	return p, nil
}

func checkMediaType(enc Encoder, format string) (problem string) {
	defer func() {
		if r := recover(); r != nil {
			problem = fmt.Sprintf("MediaType(%q) panicked: %v", format, r)
		}
	}()
	mt := enc.MediaType(format)
	if mt.ContentType == "" {
		return fmt.Sprintf("MediaType(%q) has no content type", format)
	}
	if _, _, err := mime.ParseMediaType(mt.ContentType); err != nil {
		return fmt.Sprintf("MediaType(%q) content type %q is invalid: %v", format, mt.ContentType, err)
	}
	if mt.FileExtension != "" && !validExtension(mt.FileExtension) {
		return fmt.Sprintf("MediaType(%q) file extension %q may contain only letters, digits and . _ - and must not start with a dot", format, mt.FileExtension)
	}
	return ""
}

func validName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlnum(c):
		case i > 0 && (c == '_' || c == '.' || c == '-' || c == '/'):
		default:
			return false
		}
	}
	return true
}

func validFormat(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '_' && c != '.' && c != '+' && c != '-' {
			return false
		}
	}
	return true
}

func validExtension(s string) bool {
	if len(s) > maxFormatLen || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
