// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package jsonexporter

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/tasker-systems/otelcol-tasker/internal/codec/ndjson"
	"github.com/tasker-systems/otelcol-tasker/internal/fileexport/fileexporttest"
	"github.com/tasker-systems/otelcol-tasker/internal/filewriter"
)

// goldenDir holds the codec's goldens (the exporter and its registry encoder write them).
var goldenDir = filepath.Join("..", "..", "internal", "codec", "ndjson", "testdata", "golden")

// testConfig returns the default configuration changed by mut.
func testConfig(mut func(*Config)) *Config {
	return fileexporttest.Apply(createDefaultConfig().(*Config), mut)
}

// TestCodecOptions: the configuration maps onto the codec's options (the codec's tests
// take the default configuration's options as their base).
func TestCodecOptions(t *testing.T) {
	assert.Equal(t, ndjson.Options{LabelPrefix: "label_", LabelSeparator: ".", IncludeMetadata: true}, testConfig(nil).codecOptions())
	cfg := testConfig(func(c *Config) {
		c.Format = FormatTasker
		c.Pretty = true
		c.IncludeMetadata = false
		c.Labels = LabelsFlatten
		c.LabelPrefix, c.LabelSeparator = "a.", "/"
		c.FieldMapping = map[string]string{"value": "v"}
		c.AdditionalFields = map[string]any{"env": "prod"}
		c.GroupBy = &filewriter.GroupByConfig{ResourceAttribute: "service.name", MaxOpenFiles: 10}
	})
	assert.Equal(t, ndjson.Options{
		FieldMapping: map[string]string{"value": "v"}, AdditionalFields: map[string]any{"env": "prod"},
		FlattenLabels: true, LabelPrefix: "a.", LabelSeparator: "/", GroupBy: "service.name",
		Tasker: true, Pretty: true,
	}, cfg.codecOptions())
}
