// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package ndjson

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tasker-systems/otelcol-tasker/internal/codec/ndjson/ndjsontest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const (
	signalMetrics = "metrics"
	signalLogs    = "logs"
	signalTraces  = "traces"
)

// testOptions are the options of tasker_json's default configuration, changed by mut.
func testOptions(mut func(*Options)) *Options {
	o := &Options{LabelPrefix: "label_", LabelSeparator: ".", IncludeMetadata: true}
	if mut != nil {
		mut(o)
	}
	return o
}

// encodeAll runs the encoder for a signal the way the exporter does and joins the groups.
func encodeAll(t *testing.T, o *Options, signal string, data any) []byte {
	t.Helper()
	enc := New(*o).NewEncoder()
	enc.SetNow(func() time.Time { return time.Date(2026, 11, 23, 1, 2, 3, 0, time.UTC) })
	var groups []Group
	switch signal {
	case signalMetrics:
		groups = enc.Metrics(data.(pmetric.Metrics))
	case signalLogs:
		groups = enc.Logs(data.(plog.Logs))
	case signalTraces:
		groups = enc.Traces(data.(ptrace.Traces))
	}
	var out []byte
	for _, g := range groups {
		out = append(out, g.Buf...)
	}
	return out
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing; run go test -update")
	assert.Equal(t, string(want), string(got), "output differs from %s", path)
}

func TestGolden(t *testing.T) {
	cases := []struct {
		name   string
		signal string
		data   any
		mut    func(*Options)
	}{
		{"metrics.ndjson", signalMetrics, ndjsontest.Metrics(), nil},
		{"metrics_flatten.ndjson", signalMetrics, ndjsontest.Metrics(), func(c *Options) { c.FlattenLabels = true }},
		{"metrics_mapped.ndjson", signalMetrics, ndjsontest.Metrics(), func(c *Options) {
			c.FieldMapping = map[string]string{"timestamp": "@timestamp", "value": "v"}
			c.AdditionalFields = map[string]any{"env": "prod", "type": "overridden", "team": map[string]any{"id": 7}}
		}},
		{"metrics_tasker.json", signalMetrics, ndjsontest.Metrics(), func(c *Options) { c.Tasker = true }},
		{"metrics_tasker_pretty.json", signalMetrics, ndjsontest.Metrics(), func(c *Options) {
			c.Tasker = true
			c.Pretty = true
			c.FieldMapping = map[string]string{"metrics": "data"}
			c.AdditionalFields = map[string]any{"source": "otelcol-tasker"}
		}},
		{"metrics_tasker_nometa.json", signalMetrics, ndjsontest.Metrics(), func(c *Options) {
			c.Tasker = true
			c.IncludeMetadata = false
		}},
		{"logs.ndjson", signalLogs, ndjsontest.Logs(), nil},
		{"logs_flatten.ndjson", signalLogs, ndjsontest.Logs(), func(c *Options) {
			c.FlattenLabels = true
			c.LabelPrefix = "attr."
			c.LabelSeparator = "/"
		}},
		{"traces.ndjson", signalTraces, ndjsontest.Traces(), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testOptions(tc.mut)
			out := encodeAll(t, cfg, tc.signal, tc.data)
			golden(t, tc.name, out)
			// Every line (ndjson) or the whole document (tasker) is valid JSON.
			if cfg.Tasker {
				var doc map[string]any
				require.NoError(t, json.Unmarshal(out, &doc))
				return
			}
			for i, line := range bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n")) {
				require.True(t, json.Valid(line), "line %d is not valid JSON: %s", i, line)
			}
		})
	}
}

// TestRoundTripMetrics decodes every NDJSON line with encoding/json and compares each
// value with the pdata it came from, exactly.
func TestRoundTripMetrics(t *testing.T) {
	roundTripT = t
	md := ndjsontest.Metrics()
	out := encodeAll(t, testOptions(nil), signalMetrics, md)
	lines := ndjsontest.Lines(out)
	i := 0
	forEachPoint(md, func(m pmetric.Metric, attrs pcommon.Map, ts pcommon.Timestamp, check func(map[string]any)) {
		require.Less(t, i, len(lines))
		var obj map[string]any
		dec := json.NewDecoder(bytes.NewReader(lines[i]))
		dec.UseNumber()
		require.NoError(t, dec.Decode(&obj), "line %d", i)
		assert.Equal(t, m.Name(), obj["name"])
		parsed, err := time.Parse(time.RFC3339Nano, obj["timestamp"].(string))
		require.NoError(t, err)
		assert.Equal(t, ts.AsTime().UnixNano(), parsed.UnixNano(), "timestamp must round-trip to the nanosecond")
		if attrs.Len() > 0 {
			assert.Equal(t, normalize(attrs.AsRaw()), normalize(obj["attributes"]), "attributes of line %d", i)
		}
		check(obj)
		i++
	})
	assert.Equal(t, len(lines), i, "one line per data point")
}

func forEachPoint(md pmetric.Metrics, fn func(pmetric.Metric, pcommon.Map, pcommon.Timestamp, func(map[string]any))) {
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				switch m.Type() {
				case pmetric.MetricTypeSum, pmetric.MetricTypeGauge:
					var dps pmetric.NumberDataPointSlice
					if m.Type() == pmetric.MetricTypeGauge {
						dps = m.Gauge().DataPoints()
					} else {
						dps = m.Sum().DataPoints()
					}
					for _, dp := range dps.All() {
						fn(m, dp.Attributes(), dp.Timestamp(), func(obj map[string]any) {
							if dp.Flags().NoRecordedValue() {
								assertT(obj["no_recorded_value"] == true, "no_recorded_value")
								return
							}
							if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
								n, err := obj["value"].(json.Number).Int64()
								assertT(err == nil && n == dp.IntValue(), "int value %v != %d", obj["value"], dp.IntValue())
								return
							}
							assertT(sameFloat(obj["value"], dp.DoubleValue()), "double value %v != %v", obj["value"], dp.DoubleValue())
						})
					}
				case pmetric.MetricTypeHistogram:
					for _, dp := range m.Histogram().DataPoints().All() {
						fn(m, dp.Attributes(), dp.Timestamp(), func(obj map[string]any) {
							c, _ := obj["count"].(json.Number).Int64()
							assertT(uint64(c) == dp.Count(), "count")
							assertT(sameFloat(obj["sum"], dp.Sum()), "sum")
							buckets := obj["buckets"].(map[string]any)
							var cum uint64
							for b, n := range dp.BucketCounts().All() {
								cum += n
								key := "+Inf"
								if b < dp.ExplicitBounds().Len() {
									key = strconv.FormatFloat(dp.ExplicitBounds().At(b), 'g', -1, 64)
								}
								got, _ := buckets[key].(json.Number).Int64()
								assertT(uint64(got) == cum, "bucket %s: %d != %d", key, got, cum)
							}
						})
					}
				case pmetric.MetricTypeExponentialHistogram:
					for _, dp := range m.ExponentialHistogram().DataPoints().All() {
						fn(m, dp.Attributes(), dp.Timestamp(), func(obj map[string]any) {
							assertT(sameFloat(obj["sum"], dp.Sum()), "exp sum")
							pos := obj["positive"].(map[string]any)
							off, _ := pos["offset"].(json.Number).Int64()
							assertT(off == int64(dp.Positive().Offset()), "offset")
						})
					}
				case pmetric.MetricTypeSummary:
					for _, dp := range m.Summary().DataPoints().All() {
						fn(m, dp.Attributes(), dp.Timestamp(), func(obj map[string]any) {
							q := obj["quantiles"].(map[string]any)
							for _, qv := range dp.QuantileValues().All() {
								assertT(sameFloat(q[strconv.FormatFloat(qv.Quantile(), 'g', -1, 64)], qv.Value()), "quantile")
							}
						})
					}
				}
			}
		}
	}
}

// roundTripT is the test that forEachPoint's checks report to.
var roundTripT *testing.T

func assertT(ok bool, format string, args ...any) {
	roundTripT.Helper()
	if !ok {
		roundTripT.Errorf(format, args...)
	}
}

// sameFloat compares a decoded JSON value with a float64 bit for bit; non-finite values
// are the documented strings.
func sameFloat(v any, want float64) bool {
	switch {
	case math.IsNaN(want):
		return v == "NaN"
	case math.IsInf(want, 1):
		return v == "+Inf"
	case math.IsInf(want, -1):
		return v == "-Inf"
	}
	n, ok := v.(json.Number)
	if !ok {
		f, ok := v.(float64)
		return ok && math.Float64bits(f) == math.Float64bits(want)
	}
	f, err := n.Float64()
	return err == nil && math.Float64bits(f) == math.Float64bits(want)
}

// normalize turns decoded JSON numbers and pdata raw values into comparable forms.
func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	default:
		return v
	}
}

// TestPythonRoundTrip has Python's json module read the NDJSON and the tasker document
// and write back the numbers it parsed; Go compares them bit for bit with the pdata.
func TestPythonRoundTrip(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 is required under CI")
		}
		t.Skip("python3 not found")
	}
	dir := t.TempDir()
	md := ndjsontest.Metrics()
	ndjson := filepath.Join(dir, "m.ndjson")
	require.NoError(t, os.WriteFile(ndjson, encodeAll(t, testOptions(nil), signalMetrics, md), 0o644))
	doc := filepath.Join(dir, "m.json")
	require.NoError(t, os.WriteFile(doc, encodeAll(t, testOptions(func(c *Options) { c.Tasker = true; c.Pretty = true }), signalMetrics, md), 0o644))
	logs := filepath.Join(dir, "l.ndjson")
	require.NoError(t, os.WriteFile(logs, encodeAll(t, testOptions(nil), signalLogs, ndjsontest.Logs()), 0o644))

	script := `
import json, sys
out = {"points": [], "doc": [], "bodies": []}
for line in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(line)
    out["points"].append([o["name"], o.get("value"), o.get("sum"), o.get("attributes")])
d = json.load(open(sys.argv[2], encoding="utf-8"))
for k, v in d["metrics"].items():
    out["doc"].append([k, v["name"], v.get("value"), v.get("count"), v.get("labels")])
out["total"] = d["total_metrics"]
for line in open(sys.argv[3], encoding="utf-8"):
    out["bodies"].append(json.loads(line).get("body"))
json.dump(out, sys.stdout, ensure_ascii=True)
`
	cmd := exec.Command(py, "-c", script, ndjson, doc, logs)
	raw, err := cmd.Output()
	require.NoError(t, err, "python: %s", raw)
	var got struct {
		Points [][]any `json:"points"`
		Doc    [][]any `json:"doc"`
		Bodies []any   `json:"bodies"`
		Total  int     `json:"total"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&got))

	i := 0
	forEachPoint(md, func(m pmetric.Metric, attrs pcommon.Map, _ pcommon.Timestamp, _ func(map[string]any)) {
		p := got.Points[i]
		assert.Equal(t, m.Name(), p[0])
		if attrs.Len() > 0 {
			assert.Equal(t, normalize(attrs.AsRaw()), normalize(p[3]))
		}
		i++
	})
	assert.Len(t, got.Points, i)
	// Values Python parsed, compared exactly with the source doubles/ints.
	gauge := 0
	for _, p := range got.Points {
		if p[0] != "queue.depth" {
			continue
		}
		want := []float64{0.1, -2.5e-7, 1e21, math.NaN(), math.Inf(1), math.Inf(-1), 3}[gauge%7]
		assert.True(t, sameFloat(p[1], want), "python read %v for %v", p[1], want)
		gauge++
	}
	assert.Equal(t, 14, gauge)
	assert.Equal(t, len(got.Doc), got.Total, "total_metrics counts the entries")
	assert.Equal(t, i, got.Total)
	assert.Equal(t, "Step failed:\n\"timeout\"\t<b>", got.Bodies[0])
	assert.Equal(t, map[string]any{"message": "structured body"}, got.Bodies[1])
	assert.Equal(t, "plain line ü \u2028 \x01", got.Bodies[2])
	// Series keys are Tasker's: name{"k"=>"v", …}, labels sorted.
	assert.Contains(t, keysOf(got.Doc), `task_completed_total{"namespace"=>"pay\"ments\\<eu>", "status"=>"ok"}`)
	assert.Contains(t, keysOf(got.Doc), `task_completed_total{"namespace"=>"pay\"ments\\<eu>", "status"=>"ok"} #2`)
}

func keysOf(entries [][]any) []string {
	var ks []string
	for _, e := range entries {
		ks = append(ks, e[0].(string))
	}
	return ks
}

func TestAdditionalFieldsReplaceStandardKeys(t *testing.T) {
	cfg := testOptions(func(c *Options) { c.AdditionalFields = map[string]any{"name": "fixed"} })
	for _, line := range ndjsontest.Lines(encodeAll(t, cfg, signalMetrics, ndjsontest.Metrics())) {
		require.Empty(t, duplicateTopLevelKeys(t, line), "no duplicate keys: %s", line)
		var o map[string]any
		require.NoError(t, json.Unmarshal(line, &o))
		require.Equal(t, "fixed", o["name"])
	}
}

func TestGroupBySplitsByResource(t *testing.T) {
	cfg := testOptions(func(c *Options) {
		c.GroupBy = "service.name"
	})
	keys := newKeyTable(nil, nil)
	groups := newEncoder(cfg, keys).encodeMetrics(ndjsontest.Metrics())
	require.Len(t, groups, 2)
	assert.Equal(t, "billing", groups[0].Name)
	assert.Equal(t, "shipping", groups[1].Name)
	for _, g := range groups {
		for _, line := range ndjsontest.Lines(g.Buf) {
			assert.Contains(t, string(line), `"service.name":"`+g.Name+`"`)
		}
	}
}

// duplicateTopLevelKeys returns the keys that occur more than once at the top level.
func duplicateTopLevelKeys(t *testing.T, obj []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(obj))
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok)
	seen := map[string]bool{}
	var dups []string
	for dec.More() {
		k, err := dec.Token()
		require.NoError(t, err)
		if seen[k.(string)] {
			dups = append(dups, k.(string))
		}
		seen[k.(string)] = true
		var skip json.RawMessage
		require.NoError(t, dec.Decode(&skip))
	}
	return dups
}
