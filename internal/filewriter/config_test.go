// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package filewriter

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		want []string // substrings of the error; none: valid
	}{
		{name: "default", mod: func(*Config) {}},
		{name: "empty mode and compression", mod: func(c *Config) { c.Mode, c.Compression = "", "" }},
		{name: "empty path", mod: func(c *Config) { c.Path = "  " }, want: []string{"path must be set"}},
		{name: "bad mode", mod: func(c *Config) { c.Mode = "rolling" }, want: []string{`mode "rolling" is not supported`}},
		{name: "bad compression", mod: func(c *Config) { c.Compression = "lz4" }, want: []string{`compression "lz4" is not supported`}},
		{name: "negative flush", mod: func(c *Config) { c.FlushInterval = -1 }, want: []string{"flush_interval must not be negative"}},
		{name: "negative rotation", mod: func(c *Config) { c.Rotation = &RotationConfig{MaxDays: -1} }, want: []string{"must not be negative"}},
		{name: "rotation with per_export", mod: func(c *Config) {
			c.Mode = ModePerExport
			c.Rotation = &RotationConfig{MaxMegabytes: 1}
		}, want: []string{"rotation applies to mode append only"}},
		{name: "stdout per_export", mod: func(c *Config) { c.Path, c.Mode = Stdout, ModePerExport }, want: []string{"cannot be used with mode per_export"}},
		{name: "stdout group_by", mod: func(c *Config) {
			c.Path = Stdout
			c.GroupBy = &GroupByConfig{ResourceAttribute: "service.name"}
		}, want: []string{"cannot be used with group_by"}},
		{name: "stdout rotation", mod: func(c *Config) { c.Path, c.Rotation = Stdout, &RotationConfig{} }, want: []string{"cannot be rotated"}},
		{name: "group_by without attribute", mod: func(c *Config) {
			c.Path = "out/{group}.json"
			c.GroupBy = &GroupByConfig{}
		}, want: []string{"resource_attribute must be set"}},
		{name: "group_by max_open_files 0 means default", mod: func(c *Config) {
			c.Path = "out/{group}.json"
			c.GroupBy = &GroupByConfig{ResourceAttribute: "a"}
		}},
		{name: "group_by negative max_open_files", mod: func(c *Config) {
			c.Path = "out/{group}.json"
			c.GroupBy = &GroupByConfig{ResourceAttribute: "a", MaxOpenFiles: -1}
		}, want: []string{"max_open_files must not be negative"}},
		{name: "group_by without placeholder", mod: func(c *Config) {
			c.GroupBy = &GroupByConfig{ResourceAttribute: "a", MaxOpenFiles: 1}
		}, want: []string{"must contain {group}"}},
		{name: "group_by missing value with separator", mod: func(c *Config) {
			c.Path = "out/{group}.json"
			c.GroupBy = &GroupByConfig{ResourceAttribute: "a", MaxOpenFiles: 1, MissingValue: "../x"}
		}, want: []string{"must not contain a path separator"}},
		{name: "placeholder without group_by", mod: func(c *Config) { c.Path = "out/{group}.json" }, want: []string{"contains {group} but group_by is not set"}},
		{name: "instance with separator", mod: func(c *Config) { c.Instance = "a/b" }, want: []string{"instance and prefix"}},
		{name: "prefix with separator", mod: func(c *Config) { c.Prefix = `a\b` }, want: []string{"instance and prefix"}},
		{name: "several problems at once", mod: func(c *Config) {
			c.Mode = "x"
			c.Compression = "y"
			c.FlushInterval = -1
		}, want: []string{`mode "x"`, `compression "y"`, "flush_interval"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewDefaultConfig("./out/{signal}.json")
			tt.mod(&c)
			err := c.ValidateOutput()
			if len(tt.want) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			_, nerr := NewOutput(c, "metrics", "json", zap.NewNop())
			require.Error(t, nerr, "NewOutput must reject an invalid config")
		})
	}
}

func TestNewOutputExpandsAndDefaults(t *testing.T) {
	dir := t.TempDir()
	c := NewDefaultConfig(filepath.Join(dir, "{signal}.csv"))
	c.Mode, c.Compression = "", CompressionGzip
	o, err := NewOutput(c, "logs", "csv", nil)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "logs.csv.gz"), o.path)
	assert.Equal(t, ModeAppend, o.mode)
	assert.Equal(t, "logs_export", o.prefix)
	assert.Regexp(t, `^[A-Za-z0-9._-]+-\d+$`, o.instance)

	c = NewDefaultConfig(filepath.Join(dir, "{signal}", "x.json.zst"))
	c.Compression = CompressionZstd
	c.Prefix = "p-{signal}"
	o, err = NewOutput(c, "traces", "json", nil)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "traces", "x.json.zst"), o.path, "no double suffix")
	assert.Equal(t, "p-traces", o.prefix)
	assert.Equal(t, CompressionZstd, o.comp)

	c = NewDefaultConfig(filepath.Join(dir, "g", "{group}", "m.json"))
	c.GroupBy = &GroupByConfig{ResourceAttribute: "service.name"}
	o, err = NewOutput(c, "metrics", "json", nil)
	require.NoError(t, err)
	assert.Equal(t, DefaultMaxOpenFiles, o.maxOpen)
	assert.Equal(t, DefaultMissingValue, o.missing)
	assert.Equal(t, filepath.Join(dir, "g"), o.baseDir)
	require.NoError(t, o.Shutdown())
}
