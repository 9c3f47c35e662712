// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csvexporter

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/tasker-systems/otelcol-tasker/internal/codec/csv"
	"github.com/tasker-systems/otelcol-tasker/internal/fileexport"
)

// Line endings.
const (
	LineEndingLF   = "lf"
	LineEndingCRLF = "crlf"
)

// What to do with a label key the current append-mode file's header lacks.
const (
	// UnknownLabelsRotate starts a new file whose header is the union of the current
	// header and the batch's columns.
	UnknownLabelsRotate = "rotate"
	// UnknownLabelsJSON keeps the current file and writes labels its header lacks into a
	// trailing "labels" column as a JSON object.
	UnknownLabelsJSON = "json"
)

// How label columns are named.
const (
	// LabelNamesSQL names a label column after its key with every character other than
	// letters, digits and "_" replaced by "_" (tasker.task.name → tasker_task_name), so
	// SQL reads it without quoting; a name that would clash with another column, start
	// with a digit or with label_/le_ is prefixed with label_.
	LabelNamesSQL = "sql"
	// LabelNamesPrefixed names it label_<key> with the key as it is (label_tasker.task.name).
	LabelNamesPrefixed = "prefixed"
)

// Config is the tasker_csv exporter configuration.
type Config struct {
	// Config is the output, timeout, sending queue, retry and registry settings every
	// file exporter has.
	fileexport.Config `mapstructure:",squash"`

	// Columns of metric rows (one row per data point). Default Tasker's:
	// timestamp, name, type, value, labels.
	Columns []string `mapstructure:"columns"`
	// ResourceColumns are resource attributes written as metric columns of their own,
	// after the configured columns, named as SQL-friendly label columns are
	// (service.name → service_name). Default service.name, service.instance.id.
	ResourceColumns []string `mapstructure:"resource_columns"`
	// LabelNames names the label columns: sql (default) or prefixed.
	LabelNames string `mapstructure:"label_names"`
	// LogColumns of log rows (one row per log record).
	LogColumns []string `mapstructure:"log_columns"`
	// SpanColumns of span rows (one row per span).
	SpanColumns []string `mapstructure:"span_columns"`
	// Separator between cells: one character, default ",".
	Separator string `mapstructure:"separator"`
	// IncludeHeaders writes a header line first in every file. Default true.
	IncludeHeaders bool `mapstructure:"include_headers"`
	// LineEnding ends records: lf (default) or crlf.
	LineEnding string `mapstructure:"line_ending"`
	// FlattenLabels writes one label_<key> column per data point attribute key (sorted
	// union; nested maps joined with "."); false writes one "labels" JSON column.
	// Default true.
	FlattenLabels bool `mapstructure:"flatten_labels"`
	// FieldMapping renames header names: column (or generated column) name → output name.
	FieldMapping map[string]string `mapstructure:"field_mapping"`
	// UnknownLabels: rotate (default) or json.
	UnknownLabels string `mapstructure:"unknown_labels"`
	// EscapeFormulas prefixes text cells beginning with = + - @ TAB CR with an
	// apostrophe. Default true.
	EscapeFormulas bool `mapstructure:"escape_formulas"`
	// prevent unkeyed literal initialization
	_ struct{}
}

// Default column sets (the codec's).
var (
	// DefaultColumns are Tasker's CsvExporter columns (timestamp, name, type, value,
	// labels) plus what a row needs to be read alone: the start of the interval and the
	// temporality of sums and histograms.
	// resource_id tells apart rows of resources that agree on the resource columns.
	DefaultColumns = csv.DefaultColumns
	// DefaultResourceColumns are the resource attributes of the default metric rows.
	DefaultResourceColumns = csv.DefaultResourceColumns
	// DefaultLogColumns are the default log record columns.
	DefaultLogColumns = csv.DefaultLogColumns
	// DefaultSpanColumns are the default span columns.
	DefaultSpanColumns = csv.DefaultSpanColumns
)

// codecOptions are the encoding settings of the configuration for a signal.
func (c *Config) codecOptions(signal string) csv.Options {
	o := csv.Options{
		Signal:             signal,
		Separator:          c.Separator,
		CRLF:               c.LineEnding == LineEndingCRLF,
		EscapeFormulas:     c.EscapeFormulas,
		IncludeHeaders:     c.IncludeHeaders,
		FieldMapping:       c.FieldMapping,
		PrefixedLabelNames: c.LabelNames == LabelNamesPrefixed,
		FlattenLabels:      c.FlattenLabels,
		UnknownLabelsJSON:  c.UnknownLabels == UnknownLabelsJSON,
		GroupBy:            c.GroupAttribute(),
	}
	switch signal {
	case signalMetrics:
		o.Columns, o.ResourceColumns = c.Columns, c.ResourceColumns
	case signalLogs:
		o.Columns = c.LogColumns
	default:
		o.Columns = c.SpanColumns
	}
	return o
}

// Validate checks the configuration and reports every problem at once.
func (c *Config) Validate() error {
	errs := c.OutputErrors()
	errs = append(errs, validateColumns("columns", c.Columns, signalMetrics)...)
	errs = append(errs, validateColumns("log_columns", c.LogColumns, signalLogs)...)
	errs = append(errs, validateColumns("span_columns", c.SpanColumns, signalTraces)...)
	if _, err := csv.Separator(c.Separator); err != nil {
		errs = append(errs, err)
	}
	switch c.LineEnding {
	case LineEndingLF, LineEndingCRLF:
	default:
		errs = append(errs, fmt.Errorf("line_ending %q is not supported; use %q or %q", c.LineEnding, LineEndingLF, LineEndingCRLF))
	}
	switch c.UnknownLabels {
	case UnknownLabelsRotate, UnknownLabelsJSON:
	default:
		errs = append(errs, fmt.Errorf("unknown_labels %q is not supported; use %q or %q", c.UnknownLabels, UnknownLabelsRotate, UnknownLabelsJSON))
	}
	switch c.LabelNames {
	case LabelNamesSQL, LabelNamesPrefixed:
	default:
		errs = append(errs, fmt.Errorf("label_names %q is not supported; use %q or %q", c.LabelNames, LabelNamesSQL, LabelNamesPrefixed))
	}
	errs = append(errs, c.validateResourceColumns()...)
	errs = append(errs, c.validateFieldMapping()...)
	return errors.Join(errs...)
}

func validateColumns(option string, cols []string, signal string) []error {
	if len(cols) == 0 {
		return []error{fmt.Errorf("%s must not be empty; valid columns: %s", option, csv.ColumnNames(signal))}
	}
	var errs []error
	seen := make(map[string]bool, len(cols))
	for _, col := range cols {
		if !csv.IsColumn(signal, col) {
			errs = append(errs, fmt.Errorf("%s: unknown column %q; valid columns: %s", option, col, csv.ColumnNames(signal)))
			continue
		}
		if seen[col] {
			errs = append(errs, fmt.Errorf("%s: column %q is listed more than once", option, col))
		}
		seen[col] = true
	}
	return errs
}

// validateFieldMapping checks that renamed headers stay unambiguous: names are not
// empty and unique, the generated prefixes label_ and le_ are reserved for generated
// columns, and within each signal no two columns get the same output name.
func (c *Config) validateFieldMapping() []error {
	var errs []error
	keys := make([]string, 0, len(c.FieldMapping))
	for k := range c.FieldMapping {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	byValue := map[string]string{}
	for _, k := range keys {
		v := c.FieldMapping[k]
		switch {
		case k == "":
			errs = append(errs, errors.New("field_mapping: empty column name"))
		case v == "":
			errs = append(errs, fmt.Errorf("field_mapping: %q maps to an empty name", k))
		case csv.GeneratedName(v) && !csv.GeneratedName(k):
			errs = append(errs, fmt.Errorf("field_mapping: %q maps to %q, but names starting with %q or %q are reserved for generated columns", k, v, csv.LabelPrefix, csv.BucketPrefix))
		}
		if prev, dup := byValue[v]; dup && v != "" {
			errs = append(errs, fmt.Errorf("field_mapping: %q and %q both map to %q", prev, k, v))
		}
		byValue[v] = k
	}
	for _, s := range []struct {
		option string
		cols   []string
		extra  []string
	}{
		{"columns", c.Columns, append([]string{"count", "sum", csv.LabelsName}, csv.ResourceColumnNames(c.ResourceColumns)...)},
		{"log_columns", c.LogColumns, nil},
		{"span_columns", c.SpanColumns, nil},
	} {
		out := map[string]string{}
		names := append(append([]string(nil), s.cols...), s.extra...)
		for _, col := range names {
			name := c.name(col)
			_, mappedPrev := c.FieldMapping[out[name]]
			_, mappedCol := c.FieldMapping[col]
			if prev, dup := out[name]; dup && prev != col && !(mappedPrev && mappedCol) { // both mapped: reported above
				errs = append(errs, fmt.Errorf("field_mapping: in %s, %q and %q would both be written as %q", s.option, prev, col, name))
			}
			out[name] = col
		}
	}
	return errs
}

func (c *Config) validateResourceColumns() []error {
	var errs []error
	seen := map[string]string{}
	for _, k := range c.ResourceColumns {
		if k == "" {
			errs = append(errs, errors.New("resource_columns: empty attribute name"))
			continue
		}
		name := csv.SQLName(k)
		if prev, dup := seen[name]; dup {
			errs = append(errs, fmt.Errorf("resource_columns: %q and %q would both be the column %q", prev, k, name))
		}
		seen[name] = k
		if slices.Contains(c.Columns, name) {
			errs = append(errs, fmt.Errorf("resource_columns: %q would be the column %q, which columns also lists; drop one of them", k, name))
		}
	}
	return errs
}

// name returns the output (header) name of a column.
func (c *Config) name(col string) string {
	if v, ok := c.FieldMapping[col]; ok && v != "" {
		return v
	}
	return col
}
