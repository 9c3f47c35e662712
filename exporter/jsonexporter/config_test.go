// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package jsonexporter

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"

	"github.com/tasker-systems/otelcol-tasker/exporter/jsonexporter/internal/metadata"
	"github.com/tasker-systems/otelcol-tasker/internal/fileexport"
	"github.com/tasker-systems/otelcol-tasker/internal/fileexport/fileexporttest"
	"github.com/tasker-systems/otelcol-tasker/internal/filewriter"
	"github.com/tasker-systems/otelcol-tasker/internal/testconfig"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cfg := testconfig.Load(t, metadata.Type, name, createDefaultConfig().(*Config))
	require.NoError(t, confmap.Validate(cfg))
	return cfg
}

func TestLoadConfig(t *testing.T) {
	def := loadConfig(t, "")
	assert.Equal(t, createDefaultConfig(), def)
	assert.Equal(t, DefaultPath, def.Path)
	assert.Equal(t, filewriter.ModeAppend, def.Mode)
	assert.Equal(t, FormatNDJSON, def.Format)
	assert.Equal(t, LabelsNested, def.Labels)
	assert.True(t, def.IncludeMetadata)
	assert.True(t, def.QueueConfig.HasValue())
	assert.Nil(t, def.Registry, "unset: the only tasker_registry, if any")

	all := loadConfig(t, "all")
	assert.Equal(t, "./out/{group}/tasker_{signal}.json", all.Path)
	assert.Equal(t, filewriter.ModePerExport, all.Mode)
	assert.Equal(t, "tasker_{signal}", all.Prefix)
	assert.Equal(t, "web-1", all.Instance)
	assert.Equal(t, filewriter.CompressionZstd, all.Compression)
	assert.Equal(t, 5*time.Second, all.FlushInterval)
	assert.True(t, all.Fsync)
	assert.False(t, all.CreateDirectory)
	require.NotNil(t, all.GroupBy)
	assert.Equal(t, "service.name", all.GroupBy.ResourceAttribute)
	assert.Equal(t, 10, all.GroupBy.MaxOpenFiles)
	assert.Equal(t, "unknown_service", all.GroupBy.MissingValue)
	assert.Equal(t, FormatTasker, all.Format)
	assert.Equal(t, map[string]string{"metrics": "data", "timestamp": "generated_at"}, all.FieldMapping)
	assert.False(t, all.IncludeMetadata)
	assert.True(t, all.Pretty)
	assert.Equal(t, map[string]any{"source": "otelcol-tasker", "region": "eu-west-1"}, all.AdditionalFields)
	assert.Equal(t, LabelsFlatten, all.Labels)
	assert.Equal(t, "l_", all.LabelPrefix)
	assert.Equal(t, "__", all.LabelSeparator)
	assert.Equal(t, 10*time.Second, all.TimeoutConfig.Timeout)
	assert.True(t, all.RetryConfig.Enabled)
	assert.Equal(t, 5*time.Second, all.RetryConfig.MaxInterval)
	require.True(t, all.QueueConfig.HasValue())
	assert.Equal(t, 2, all.QueueConfig.Get().NumConsumers)
	assert.EqualValues(t, 100, all.QueueConfig.Get().QueueSize)
	require.NotNil(t, all.Registry)
	assert.Equal(t, component.MustNewIDWithName("tasker_registry", "files"), *all.Registry)

	rot := loadConfig(t, "rotation")
	require.NotNil(t, rot.Rotation)
	assert.Equal(t, 50, rot.Rotation.MaxMegabytes)
	assert.Equal(t, 7, rot.Rotation.MaxDays)
	assert.Equal(t, 3, rot.Rotation.MaxBackups)
	assert.True(t, rot.Rotation.LocalTime)
	assert.Equal(t, filewriter.CompressionGzip, rot.Compression)

	assert.Equal(t, "-", loadConfig(t, "stdout").Path)
}

func TestValidateErrors(t *testing.T) {
	cases := []struct {
		name string
		mut  func(*Config)
		want []string
	}{
		{"empty path", func(c *Config) { c.Path = "" }, []string{"path must be set"}},
		{"bad format", func(c *Config) { c.Format = "xml" }, []string{`format "xml" is not supported`}},
		{"pretty ndjson", func(c *Config) { c.Pretty = true }, []string{"pretty applies to format"}},
		{"bad labels", func(c *Config) { c.Labels = "deep" }, []string{`labels "deep" is not supported`}},
		{"flatten without prefix", func(c *Config) { c.Labels = LabelsFlatten; c.LabelPrefix = "" }, []string{"label_prefix must not be empty"}},
		{"mapping to empty", func(c *Config) { c.FieldMapping = map[string]string{"name": ""} }, []string{`"name" maps to an empty name`}},
		{"mapping collision", func(c *Config) { c.FieldMapping = map[string]string{"name": "x", "type": "x"} }, []string{`both map to "x"`}},
		{"additional replaces metrics", func(c *Config) {
			c.Format = FormatTasker
			c.AdditionalFields = map[string]any{"metrics": 1}
		}, []string{`would replace the metrics`}},
		{"additional not json", func(c *Config) { c.AdditionalFields = map[string]any{"f": func() {}} }, []string{`"f" cannot be encoded as JSON`}},
		{"bad mode", func(c *Config) { c.Mode = "overwrite" }, []string{`mode "overwrite" is not supported`}},
		{"bad compression", func(c *Config) { c.Compression = "lz4" }, []string{`compression "lz4" is not supported`}},
		{"negative flush", func(c *Config) { c.FlushInterval = -time.Second }, []string{"flush_interval must not be negative"}},
		{"group without placeholder", func(c *Config) {
			c.GroupBy = &filewriter.GroupByConfig{ResourceAttribute: "service.name", MaxOpenFiles: 1}
		}, []string{"must contain {group}"}},
		{"placeholder without group", func(c *Config) { c.Path = "./out/{group}.json" }, []string{"group_by is not set"}},
		{"stdout per_export", func(c *Config) { c.Path = "-"; c.Mode = filewriter.ModePerExport }, []string{"stdout"}},
		{"several at once", func(c *Config) { c.Format = "xml"; c.Labels = "deep" }, []string{"format", "labels"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(tc.mut)
			err := confmap.Validate(cfg)
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Equal(t, 1, strings.Count(err.Error(), w), "reported exactly once: %v", err)
			}
		})
	}
	require.NoError(t, confmap.Validate(createDefaultConfig()))
}

func TestRegistryOption(t *testing.T) {
	fileexporttest.CheckRegistryOption(t, func() fileexport.Configured { return createDefaultConfig().(*Config) })
}
