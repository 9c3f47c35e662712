// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.yaml.in/yaml/v3"
)

// The receiver's metrics bypass mdatagen (the generated metrics file is deleted after
// generation: mdatagen cannot yet generate the histograms). These tests hold metrics.go
// and what the builder emits to metadata.yaml: names, units, descriptions, types,
// temporality, attributes (and their enum values) and bucket boundaries.

type mdMetric struct {
	Enabled     bool   `yaml:"enabled"`
	Description string `yaml:"description"`
	Unit        string `yaml:"unit"`
	Sum         *struct {
		ValueType   string `yaml:"value_type"`
		Monotonic   bool   `yaml:"monotonic"`
		Temporality string `yaml:"aggregation_temporality"`
	} `yaml:"sum"`
	Histogram *struct {
		ValueType   string    `yaml:"value_type"`
		Temporality string    `yaml:"aggregation_temporality"`
		Buckets     []float64 `yaml:"bucket_boundaries"`
	} `yaml:"histogram"`
	Attributes []string `yaml:"attributes"`
}

type mdAttribute struct {
	Description string   `yaml:"description"`
	Type        string   `yaml:"type"`
	Enum        []string `yaml:"enum"`
}

type metadataFile struct {
	Attributes map[string]mdAttribute `yaml:"attributes"`
	Metrics    map[string]mdMetric    `yaml:"metrics"`
}

func readMetadata(t *testing.T) metadataFile {
	t.Helper()
	raw, err := os.ReadFile("metadata.yaml")
	require.NoError(t, err)
	var md metadataFile
	require.NoError(t, yaml.Unmarshal(raw, &md))
	require.NotEmpty(t, md.Metrics)
	return md
}

// allDescs are the metrics metrics.go declares for metric_naming: otel (the default).
var allDescs = []metricDesc{
	descTaskOutcomes, descStepOutcomes, descStepRetries, descStepBackoffs,
	descEvents, descTaskDuration, descStepDuration, descBackoffDur,
}

func TestMetricsGoMatchesMetadata(t *testing.T) {
	md := readMetadata(t)
	declared := map[string]bool{}
	for _, d := range allDescs {
		declared[d.name] = true
		m, ok := md.Metrics[d.name]
		if !assert.Truef(t, ok, "%s is in metrics.go but not in metadata.yaml", d.name) {
			continue
		}
		assert.Equal(t, m.Description, d.description, "%s: description", d.name)
		assert.Equal(t, m.Unit, d.unit, "%s: unit", d.name)
		assert.Equal(t, m.Histogram != nil, d.histogram, "%s: histogram", d.name)
		assert.Equal(t, m.Sum != nil, !d.histogram, "%s: sum", d.name)
		if m.Histogram != nil {
			assert.Equal(t, m.Histogram.Buckets, taskerBuckets, "%s: bucket_boundaries", d.name)
			assert.Equal(t, "double", m.Histogram.ValueType, d.name)
			assert.Equal(t, "delta", m.Histogram.Temporality, d.name)
		}
		if m.Sum != nil {
			assert.Equal(t, "int", m.Sum.ValueType, d.name)
			assert.True(t, m.Sum.Monotonic, d.name)
			assert.Equal(t, "delta", m.Sum.Temporality, d.name)
		}
		for _, a := range m.Attributes {
			assert.Containsf(t, md.Attributes, a, "%s: attribute %s is not declared under attributes", d.name, a)
		}
	}
	for name := range md.Metrics {
		assert.Truef(t, declared[name], "%s is in metadata.yaml but metrics.go does not declare it", name)
	}
}

// TestEmittedMetricsMatchMetadata builds every event fixture and checks each metric the
// builder emits, and each of its data points, against metadata.yaml.
func TestEmittedMetricsMatchMetadata(t *testing.T) {
	md := readMetadata(t)
	files, err := filepath.Glob(filepath.Join("testdata", "*", "*.ndjson"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	emitted := map[string]bool{}
	seenAttrs := map[string]map[string]bool{}
	for _, f := range files {
		b := testBuilder(t, nil)
		out := b.build(parseBody(t, readFixture(t, strings.TrimPrefix(f, "testdata/"))), "", true)
		rms := out.metrics.ResourceMetrics()
		for i := 0; i < rms.Len(); i++ {
			sms := rms.At(i).ScopeMetrics()
			for j := 0; j < sms.Len(); j++ {
				ms := sms.At(j).Metrics()
				for k := 0; k < ms.Len(); k++ {
					m := ms.At(k)
					name := m.Name()
					want, ok := md.Metrics[name]
					if !assert.Truef(t, ok, "%s: emits %s, which metadata.yaml does not declare", f, name) {
						continue
					}
					emitted[name] = true
					if seenAttrs[name] == nil {
						seenAttrs[name] = map[string]bool{}
					}
					checkEmitted(t, f, md, want, m, seenAttrs[name])
				}
			}
		}
	}
	for name, m := range md.Metrics {
		if !assert.Truef(t, emitted[name], "no fixture emits %s: add one", name) {
			continue
		}
		var got []string
		for a := range seenAttrs[name] {
			got = append(got, a)
		}
		sort.Strings(got)
		want := append([]string(nil), m.Attributes...)
		sort.Strings(want)
		assert.Equal(t, want, got, "%s: the attributes emitted across the fixtures", name)
	}
}

func checkEmitted(t *testing.T, file string, md metadataFile, want mdMetric, m pmetric.Metric, seen map[string]bool) {
	t.Helper()
	name := m.Name()
	assert.Equal(t, want.Description, m.Description(), "%s: %s description", file, name)
	assert.Equal(t, want.Unit, m.Unit(), "%s: %s unit", file, name)
	var attrs []pcommon.Map
	switch m.Type() {
	case pmetric.MetricTypeSum:
		require.NotNil(t, want.Sum, "%s: %s is a sum, metadata.yaml says otherwise", file, name)
		assert.Equal(t, want.Sum.Monotonic, m.Sum().IsMonotonic(), name)
		assert.Equal(t, want.Sum.Temporality, strings.ToLower(m.Sum().AggregationTemporality().String()), name)
		for i := 0; i < m.Sum().DataPoints().Len(); i++ {
			dp := m.Sum().DataPoints().At(i)
			assert.Equal(t, pmetric.NumberDataPointValueTypeInt, dp.ValueType(), name)
			attrs = append(attrs, dp.Attributes())
		}
	case pmetric.MetricTypeHistogram:
		require.NotNil(t, want.Histogram, "%s: %s is a histogram, metadata.yaml says otherwise", file, name)
		assert.Equal(t, want.Histogram.Temporality, strings.ToLower(m.Histogram().AggregationTemporality().String()), name)
		for i := 0; i < m.Histogram().DataPoints().Len(); i++ {
			dp := m.Histogram().DataPoints().At(i)
			assert.Equal(t, want.Histogram.Buckets, dp.ExplicitBounds().AsRaw(), "%s: %s buckets", file, name)
			attrs = append(attrs, dp.Attributes())
		}
	default:
		t.Errorf("%s: %s has type %s", file, name, m.Type())
	}
	for _, a := range attrs {
		a.Range(func(k string, v pcommon.Value) bool {
			seen[k] = true
			assert.Containsf(t, want.Attributes, k, "%s: %s has attribute %s, which metadata.yaml does not list", file, name, k)
			if enum := md.Attributes[k].Enum; len(enum) > 0 {
				assert.Containsf(t, enum, v.Str(), "%s: %s %s=%q is not in the enum", file, name, k, v.Str())
			}
			return true
		})
	}
}
