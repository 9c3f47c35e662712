// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package jsonexporter

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/tasker-systems/otelcol-tasker/internal/codec/ndjson"
	"github.com/tasker-systems/otelcol-tasker/internal/fileexport"
)

// Output formats.
const (
	// FormatNDJSON writes one flat JSON object per line for every metric data point,
	// log record and span.
	FormatNDJSON = "ndjson"
	// FormatTasker writes one document per export in the layout of Tasker's
	// JsonExporter (metrics only; logs and traces are always NDJSON).
	FormatTasker = "tasker"
)

// Label layouts.
const (
	// LabelsNested keeps data point / record / span attributes in an "attributes" object.
	LabelsNested = "nested"
	// LabelsFlatten writes each attribute as a top-level key label_prefix + key, nested
	// maps joined with label_separator.
	LabelsFlatten = "flatten"
)

// Config is the tasker_json exporter configuration.
type Config struct {
	// Config is the output, timeout, sending queue, retry and registry settings every
	// file exporter has.
	fileexport.Config `mapstructure:",squash"`

	// Format: ndjson (default) or tasker.
	Format string `mapstructure:"format"`
	// FieldMapping renames output keys: top-level keys of NDJSON objects, or the
	// timestamp/metrics/total_metrics/metadata keys of the tasker document (as Tasker's
	// field_mapping) and the keys of each metric entry.
	FieldMapping map[string]string `mapstructure:"field_mapping"`
	// IncludeMetadata adds the metadata block to the tasker document. Default true.
	IncludeMetadata bool `mapstructure:"include_metadata"`
	// Pretty indents the tasker document. Not valid with ndjson (one object per line).
	Pretty bool `mapstructure:"pretty"`
	// AdditionalFields are static key/values merged last into every NDJSON object or
	// into the top level of the tasker document; a key equal to a standard key replaces it.
	AdditionalFields map[string]any `mapstructure:"additional_fields"`
	// Labels: nested (default) or flatten.
	Labels string `mapstructure:"labels"`
	// LabelPrefix prefixes flattened attribute keys. Default "label_".
	LabelPrefix string `mapstructure:"label_prefix"`
	// LabelSeparator joins the keys of nested maps when flattening. Default ".".
	LabelSeparator string `mapstructure:"label_separator"`
	// prevent unkeyed literal initialization
	_ struct{}
}

// codecOptions are the encoding settings of the configuration.
func (c *Config) codecOptions() ndjson.Options {
	o := ndjson.Options{
		FieldMapping:     c.FieldMapping,
		AdditionalFields: c.AdditionalFields,
		FlattenLabels:    c.Labels == LabelsFlatten,
		LabelPrefix:      c.LabelPrefix,
		LabelSeparator:   c.LabelSeparator,
		Tasker:           c.Format == FormatTasker,
		IncludeMetadata:  c.IncludeMetadata,
		Pretty:           c.Pretty,
		GroupBy:          c.GroupAttribute(),
	}
	return o
}

// Validate checks the configuration and reports every problem at once.
func (c *Config) Validate() error {
	errs := c.OutputErrors()
	switch c.Format {
	case FormatNDJSON, FormatTasker:
	default:
		errs = append(errs, fmt.Errorf("format %q is not supported; use %q or %q", c.Format, FormatNDJSON, FormatTasker))
	}
	if c.Pretty && c.Format != FormatTasker {
		errs = append(errs, fmt.Errorf("pretty applies to format %q only: %q writes one object per line", FormatTasker, FormatNDJSON))
	}
	switch c.Labels {
	case LabelsNested, LabelsFlatten:
	default:
		errs = append(errs, fmt.Errorf("labels %q is not supported; use %q or %q", c.Labels, LabelsNested, LabelsFlatten))
	}
	if c.Labels == LabelsFlatten && c.LabelPrefix == "" {
		errs = append(errs, errors.New("label_prefix must not be empty with labels: flatten (flattened keys would collide with the standard keys)"))
	}
	seen := map[string]string{}
	for _, k := range sortedKeys(c.FieldMapping) {
		v := c.FieldMapping[k]
		if v == "" {
			errs = append(errs, fmt.Errorf("field_mapping: %q maps to an empty name", k))
			continue
		}
		if prev, dup := seen[v]; dup {
			errs = append(errs, fmt.Errorf("field_mapping: %q and %q both map to %q", prev, k, v))
		}
		seen[v] = k
	}
	for _, k := range sortedKeys(c.AdditionalFields) {
		if k == "" {
			errs = append(errs, errors.New("additional_fields: empty key"))
			continue
		}
		if c.Format == FormatTasker && (k == c.FieldMapping["metrics"] || k == "metrics" && c.FieldMapping["metrics"] == "") {
			errs = append(errs, fmt.Errorf("additional_fields: %q would replace the metrics of the tasker document", k))
		}
		if _, err := json.Marshal(c.AdditionalFields[k]); err != nil {
			errs = append(errs, fmt.Errorf("additional_fields: %q cannot be encoded as JSON: %w", k, err))
		}
	}
	return errors.Join(errs...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
