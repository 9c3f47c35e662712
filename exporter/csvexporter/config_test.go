// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csvexporter

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/tasker-systems/otelcol-tasker/exporter/csvexporter/internal/metadata"
	"github.com/tasker-systems/otelcol-tasker/internal/codec/csv"
	"github.com/tasker-systems/otelcol-tasker/internal/fileexport"
	"github.com/tasker-systems/otelcol-tasker/internal/fileexport/fileexporttest"
	"github.com/tasker-systems/otelcol-tasker/internal/filewriter"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	all := createDefaultConfig().(*Config)
	all.Path = "/var/lib/otelcol/csv/{group}/{signal}.csv"
	all.Mode = filewriter.ModeAppend
	all.Prefix = "tasker_{signal}"
	all.Instance = "collector-1"
	all.Rotation = &filewriter.RotationConfig{MaxMegabytes: 50, MaxDays: 7, MaxBackups: 10, LocalTime: true}
	all.Compression = filewriter.CompressionGzip
	all.FlushInterval = 5 * time.Second
	all.Fsync = true
	all.CreateDirectory = false
	all.GroupBy = &filewriter.GroupByConfig{ResourceAttribute: "service.name", MaxOpenFiles: 20, MissingValue: "unknown_service"}
	all.TimeoutConfig.Timeout = 10 * time.Second
	queue := exporterhelper.NewDefaultQueueConfig()
	queue.NumConsumers = 2
	queue.QueueSize = 5000
	storage := component.MustNewIDWithName("file_storage", "csv")
	queue.StorageID = &storage
	all.QueueConfig = configoptional.Some(queue)
	all.RetryConfig.Enabled = true
	all.RetryConfig.InitialInterval = time.Second
	all.RetryConfig.MaxInterval = 10 * time.Second
	all.RetryConfig.MaxElapsedTime = 2 * time.Minute
	all.Columns = []string{"timestamp", "start_timestamp", "name", "type", "temporality", "unit", "value", "count", "sum", "min", "max", "labels", "service_name"}
	all.LogColumns = []string{"timestamp", "severity_text", "body", "trace_id", "span_id", "attributes", "resource"}
	all.SpanColumns = []string{"trace_id", "span_id", "name", "start_timestamp", "end_timestamp", "duration_ms", "status_code", "events"}
	all.ResourceColumns = []string{"service.instance.id", "host.name"}
	all.LabelNames = LabelNamesPrefixed
	all.Separator = ";"
	all.IncludeHeaders = false
	all.LineEnding = LineEndingCRLF
	all.FlattenLabels = false
	all.FieldMapping = map[string]string{"timestamp": "time", "label_task_name": "task"}
	all.UnknownLabels = UnknownLabelsJSON
	all.EscapeFormulas = false
	registry := component.MustNewIDWithName("tasker_registry", "csv")
	all.Registry = &registry

	perExport := createDefaultConfig().(*Config)
	perExport.Path = "./exports"
	perExport.Mode = filewriter.ModePerExport
	perExport.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()

	tests := []struct {
		id       component.ID
		expected *Config
		errs     []string
	}{
		{id: component.NewID(metadata.Type), expected: createDefaultConfig().(*Config)},
		{id: component.NewIDWithName(metadata.Type, "all"), expected: all},
		{id: component.NewIDWithName(metadata.Type, "per_export"), expected: perExport},
		{id: component.NewIDWithName(metadata.Type, "invalid"), errs: []string{
			"path must be set",
			`mode "sometimes" is not supported`,
			`columns: unknown column "nope"; valid columns: timestamp, start_timestamp, name`,
			`columns: column "timestamp" is listed more than once`,
			"log_columns must not be empty; valid columns: timestamp, observed_timestamp",
			`span_columns: unknown column "span"; valid columns: trace_id, span_id`,
			`separator "::" must be exactly one character`,
			`line_ending "cr" is not supported; use "lf" or "crlf"`,
			`unknown_labels "drop" is not supported; use "rotate" or "json"`,
			`field_mapping: "value" maps to "label_value", but names starting with "label_" or "le_" are reserved`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig()
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			require.NoError(t, sub.Unmarshal(cfg))
			if tt.expected != nil {
				assert.NoError(t, confmap.Validate(cfg))
				assert.Equal(t, tt.expected, cfg)
				return
			}
			err = confmap.Validate(cfg)
			require.Error(t, err)
			for _, want := range tt.errs {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	assert.Equal(t, "./out/{signal}.csv", cfg.Path)
	assert.Equal(t, filewriter.ModeAppend, cfg.Mode)
	assert.Equal(t, time.Second, cfg.FlushInterval)
	assert.True(t, cfg.CreateDirectory)
	assert.Equal(t, []string{"timestamp", "start_timestamp", "name", "type", "temporality", "value", "labels", "resource_id"}, cfg.Columns)
	assert.Equal(t, []string{"service.name", "service.instance.id"}, cfg.ResourceColumns)
	assert.Equal(t, LabelNamesSQL, cfg.LabelNames)
	assert.Equal(t, ",", cfg.Separator)
	assert.True(t, cfg.IncludeHeaders)
	assert.Equal(t, LineEndingLF, cfg.LineEnding)
	assert.True(t, cfg.FlattenLabels)
	assert.Equal(t, UnknownLabelsRotate, cfg.UnknownLabels)
	assert.True(t, cfg.EscapeFormulas)
	assert.True(t, cfg.QueueConfig.HasValue())
	assert.Nil(t, cfg.Registry, "unset: the only tasker_registry, if any")
	assert.NoError(t, cfg.Validate())
	// The defaults are copies: changing one config does not change another's.
	cfg.Columns[0] = "x"
	assert.Equal(t, "timestamp", createDefaultConfig().(*Config).Columns[0])
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"empty columns", func(c *Config) { c.Columns = nil }, "columns must not be empty; valid columns: timestamp, start_timestamp, name, type, temporality, unit, description, value, count, sum, min, max, buckets, labels, resource, scope, scope_version, service_name"},
		{"unknown column", func(c *Config) { c.Columns = []string{"timestamp", "severity_text"} }, `columns: unknown column "severity_text"; valid columns: timestamp,`},
		{"duplicate column", func(c *Config) { c.Columns = []string{"name", "value", "name"} }, `columns: column "name" is listed more than once`},
		{"empty log columns", func(c *Config) { c.LogColumns = []string{} }, "log_columns must not be empty; valid columns: timestamp, observed_timestamp, severity_text"},
		{"unknown log column", func(c *Config) { c.LogColumns = []string{"labels"} }, `log_columns: unknown column "labels"; valid columns: timestamp, observed_timestamp`},
		{"duplicate log column", func(c *Config) { c.LogColumns = []string{"body", "body"} }, `log_columns: column "body" is listed more than once`},
		{"empty span columns", func(c *Config) { c.SpanColumns = nil }, "span_columns must not be empty; valid columns: trace_id, span_id, parent_span_id"},
		{"unknown span column", func(c *Config) { c.SpanColumns = []string{"duration"} }, `span_columns: unknown column "duration"; valid columns: trace_id,`},
		{"duplicate span column", func(c *Config) { c.SpanColumns = []string{"name", "kind", "name"} }, `span_columns: column "name" is listed more than once`},
		{"empty separator", func(c *Config) { c.Separator = "" }, `separator must be one character, got ""`},
		{"multi-char separator", func(c *Config) { c.Separator = ",," }, `separator ",," must be exactly one character`},
		{"quote separator", func(c *Config) { c.Separator = `"` }, `separator "\"" cannot be a double quote, CR, LF or NUL`},
		{"CR separator", func(c *Config) { c.Separator = "\r" }, `separator "\r" cannot be a double quote, CR, LF or NUL`},
		{"LF separator", func(c *Config) { c.Separator = "\n" }, `separator "\n" cannot be a double quote, CR, LF or NUL`},
		{"invalid UTF-8 separator", func(c *Config) { c.Separator = "\xff" }, `separator "\xff" is not valid UTF-8`},
		{"line ending", func(c *Config) { c.LineEnding = "CRLF\n" }, `line_ending "CRLF\n" is not supported; use "lf" or "crlf"`},
		{"unknown labels", func(c *Config) { c.UnknownLabels = "drop" }, `unknown_labels "drop" is not supported; use "rotate" or "json"`},
		{"mapping to empty", func(c *Config) { c.FieldMapping = map[string]string{"name": ""} }, `field_mapping: "name" maps to an empty name`},
		{"mapping from empty", func(c *Config) { c.FieldMapping = map[string]string{"": "x"} }, "field_mapping: empty column name"},
		{"mapping duplicate", func(c *Config) { c.FieldMapping = map[string]string{"name": "n", "type": "n"} }, `field_mapping: "name" and "type" both map to "n"`},
		{"mapping reserved prefix", func(c *Config) { c.FieldMapping = map[string]string{"value": "le_value"} }, `field_mapping: "value" maps to "le_value", but names starting with "label_" or "le_" are reserved`},
		{"mapping collides with a column", func(c *Config) { c.FieldMapping = map[string]string{"value": "name"} }, `field_mapping: in columns, "name" and "value" would both be written as "name"`},
		{"mapping collides with histogram count", func(c *Config) { c.FieldMapping = map[string]string{"value": "count"} }, `field_mapping: in columns, "value" and "count" would both be written as "count"`},
		{"mapping collides in logs", func(c *Config) { c.FieldMapping = map[string]string{"body": "attributes"} }, `field_mapping: in log_columns, "body" and "attributes" would both be written as "attributes"`},
		{"filewriter: mode", func(c *Config) { c.Mode = "stream" }, `mode "stream" is not supported`},
		{"filewriter: group_by without {group}", func(c *Config) {
			c.GroupBy = &filewriter.GroupByConfig{ResourceAttribute: "service.name", MaxOpenFiles: 1}
		}, `must contain {group} when group_by is set`},
		{"filewriter: negative flush", func(c *Config) { c.FlushInterval = -time.Second }, "flush_interval must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(tt.mod)
			err := cfg.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Equal(t, 1, strings.Count(err.Error(), "\n")+1, "exactly one problem: %v", err)
			// The collector validates through confmap.Validate, which walks embedded
			// structs too: the problem must still be reported once.
			err = confmap.Validate(cfg)
			require.Error(t, err)
			assert.Equal(t, 1, strings.Count(err.Error(), tt.want), "reported once: %v", err)
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	for name, mod := range map[string]func(*Config){
		"tab":              func(c *Config) { c.Separator = "\t" },
		"unicode":          func(c *Config) { c.Separator = "§" },
		"pipe":             func(c *Config) { c.Separator = "|" },
		"rename generated": func(c *Config) { c.FieldMapping = map[string]string{"label_task": "task", "le_inf": "le_+Inf"} },
		"rename columns":   func(c *Config) { c.FieldMapping = map[string]string{"timestamp": "time", "end_timestamp": "end"} },
		"every column": func(c *Config) {
			c.Columns = csv.Columns(signalMetrics)
			c.ResourceColumns = []string{"service.instance.id"}
			c.LogColumns = csv.Columns(signalLogs)
			c.SpanColumns = csv.Columns(signalTraces)
		},
	} {
		t.Run(name, func(t *testing.T) {
			assert.NoError(t, testConfig(mod).Validate())
		})
	}
}

func TestRegistryOption(t *testing.T) {
	fileexporttest.CheckRegistryOption(t, func() fileexport.Configured { return createDefaultConfig().(*Config) })
}
