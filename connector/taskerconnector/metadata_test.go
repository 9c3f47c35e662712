// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerconnector

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// mdMetric is the part of a metadata.yaml metric that defines what is emitted.
type mdMetric struct {
	Description string         `yaml:"description"`
	Unit        string         `yaml:"unit"`
	Sum         map[string]any `yaml:"sum"`
	Histogram   map[string]any `yaml:"histogram"`
	Attributes  []string       `yaml:"attributes"`
	Enabled     bool           `yaml:"enabled"`
}

type mdFile struct {
	Attributes map[string]map[string]any `yaml:"attributes"`
	Metrics    map[string]mdMetric       `yaml:"metrics"`
}

func readMetadata(t *testing.T, path string) mdFile {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var f mdFile
	require.NoError(t, yaml.Unmarshal(raw, &f))
	require.NotEmpty(t, f.Metrics, path)
	return f
}

// TestMetricsAsTheReceiver: every metric the connector defines is defined identically
// (description, unit, type, value type, temporality, monotonicity, buckets, attributes
// and their definitions) by the tasker receiver, so a dashboard does not care which
// way the data came in.
func TestMetricsAsTheReceiver(t *testing.T) {
	ours := readMetadata(t, "metadata.yaml")
	theirs := readMetadata(t, filepath.Join("..", "..", "receiver", "taskerreceiver", "metadata.yaml"))
	for name, m := range ours.Metrics {
		r, ok := theirs.Metrics[name]
		if !assert.True(t, ok, "%s: not a metric of the tasker receiver", name) {
			continue
		}
		assert.Equal(t, r, m, name)
		for _, a := range m.Attributes {
			assert.Equal(t, theirs.Attributes[a], ours.Attributes[a], "attribute %s of %s", a, name)
		}
	}
	for _, want := range []string{"tasker.task.outcomes", "tasker.task.duration", "tasker.step.outcomes", "tasker.step.duration"} {
		assert.Contains(t, ours.Metrics, want)
	}
}

// TestDefsAsMetadata: what metrics.go emits is what metadata.yaml says.
func TestDefsAsMetadata(t *testing.T) {
	ours := readMetadata(t, "metadata.yaml")
	require.Len(t, defs, len(ours.Metrics))
	for _, d := range defs {
		m, ok := ours.Metrics[d.name]
		require.True(t, ok, d.name)
		assert.Equal(t, m.Description, d.description, d.name)
		assert.Equal(t, m.Unit, d.unit, d.name)
		assert.Equal(t, m.Histogram != nil, d.histogram, d.name)
		assert.Equal(t, d.step, contains(m.Attributes, "tasker.step.name"), d.name)
		if d.histogram {
			var b []float64
			for _, v := range m.Histogram["bucket_boundaries"].([]any) {
				switch x := v.(type) {
				case int:
					b = append(b, float64(x))
				case float64:
					b = append(b, x)
				}
			}
			assert.Equal(t, b, bounds, d.name)
			assert.Equal(t, "delta", m.Histogram["aggregation_temporality"])
		} else {
			assert.Equal(t, "delta", m.Sum["aggregation_temporality"])
			assert.Equal(t, true, m.Sum["monotonic"])
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
