// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestE2EBinaryComponentsAndValidate(t *testing.T) {
	bin := tool(t, "OTELCOL_TASKER_BIN")
	out := run(t, bin, "components")
	for _, c := range []string{"tasker_json", "tasker_csv", "tasker_cache", "tasker_registry", "otlp", "batch", "memory_limiter", "debug", "otlp_grpc", "otlp_http", "file_storage", "health_check", "pprof", "zpages"} {
		assert.Contains(t, out, "name: "+c, "components must list %s", c)
	}
	run(t, bin, "validate", "--config", repoFile(t, "otelcol-config.yaml"))
}

// TestE2EOTLPToFiles runs the binary on otelcol-config.yaml (ports moved to free ones),
// sends traces, metrics and logs with telemetrygen over OTLP, and checks that the JSON
// and CSV files under ./out hold exactly what was sent.
func TestE2EOTLPToFiles(t *testing.T) {
	bin := tool(t, "OTELCOL_TASKER_BIN")
	gen := tool(t, "TELEMETRYGEN_BIN")
	dir := t.TempDir()
	grpc, httpPort, health, metrics := freePort(t), freePort(t), freePort(t), freePort(t)
	c := startCollector(t, bin, dir, repoFile(t, "otelcol-config.yaml"), health,
		"receivers::otlp::protocols::grpc::endpoint=127.0.0.1:"+strconv.Itoa(grpc),
		"receivers::otlp::protocols::http::endpoint=127.0.0.1:"+strconv.Itoa(httpPort),
		"extensions::health_check::endpoint=127.0.0.1:"+strconv.Itoa(health),
		"receivers::tasker::http::endpoint=127.0.0.1:"+strconv.Itoa(freePort(t)),
		"processors::tasker_cache::interval=1s",
		"extensions::tasker_registry::endpoint=127.0.0.1:"+strconv.Itoa(freePort(t)),
		// --set cannot index into a list: replace the whole readers list (the value is YAML).
		"service::telemetry::metrics::readers=[{pull: {exporter: {prometheus: {host: 127.0.0.1, port: "+strconv.Itoa(metrics)+"}}}}]",
	)

	const traces, metricPoints, logRecords = 40, 120, 150
	endpoint := "127.0.0.1:" + strconv.Itoa(grpc)
	run(t, gen, "traces", "--otlp-insecure", "--otlp-endpoint", endpoint, "--traces", strconv.Itoa(traces), "--child-spans", "2", "--rate", "0")
	// Delta points 0, 1, …, 119 of one series: tasker_cache adds them up.
	run(t, gen, "metrics", "--otlp-insecure", "--otlp-endpoint", endpoint, "--metrics", strconv.Itoa(metricPoints), "--metric-type", "Sum",
		"--aggregation-temporality", "delta", "--rate", "0")
	run(t, gen, "logs", "--otlp-insecure", "--otlp-endpoint", endpoint, "--logs", strconv.Itoa(logRecords), "--body", `hello "tasker", =1+1`, "--rate", "0")
	// OTLP/HTTP too: the same pipeline behind the other protocol.
	run(t, gen, "logs", "--otlp-http", "--otlp-insecure", "--otlp-endpoint", "127.0.0.1:"+strconv.Itoa(httpPort), "--logs", "10", "--rate", "0")

	spans := traces * 3
	want := map[string]int{"traces": spans, "logs": logRecords + 10}
	const total = metricPoints * (metricPoints - 1) / 2
	out := filepath.Join(dir, "out")
	eventually(t, 30*time.Second, func() error {
		if v := lastJSONValue(filepath.Join(out, "json", "metrics.json")); v != total {
			return errorf("json metrics: last exported value %v, want %d", v, total)
		}
		if v := lastCSVValue(filepath.Join(out, "csv", "metrics.csv")); v != strconv.Itoa(total) {
			return errorf("csv metrics: last exported value %q, want %d", v, total)
		}
		for signal, n := range want {
			if got := countJSONLines(filepath.Join(out, "json", signal+".json")); got != n {
				return errorf("json %s: %d lines, want %d", signal, got, n)
			}
			if got, _ := countCSVRows(filepath.Join(out, "csv", signal+".csv")); got != n {
				return errorf("csv %s: %d rows, want %d", signal, got, n)
			}
		}
		return nil
	})
	c.stop(t)

	// After a clean shutdown: exact counts, every JSON line valid, every CSV row as wide as its header.
	for signal, n := range want {
		path := filepath.Join(out, "json", signal+".json")
		objs := readJSONLines(t, path)
		require.Len(t, objs, n, path)
		rows, header := countCSVRows(filepath.Join(out, "csv", signal+".csv"))
		require.Equal(t, n, rows)
		require.NotEmpty(t, header)
	}
	logs := readJSONLines(t, filepath.Join(out, "json", "logs.json"))
	assert.Equal(t, `hello "tasker", =1+1`, logs[0]["body"])
	for _, s := range readJSONLines(t, filepath.Join(out, "json", "traces.json")) {
		assert.Len(t, s["trace_id"], 32)
		assert.NotEmpty(t, s["name"])
	}
	// Metrics: the aggregate of one series, exported every interval (and at shutdown) as
	// a cumulative counter that never decreases and ends at the exact total.
	exported := readJSONLines(t, filepath.Join(out, "json", "metrics.json"))
	require.NotEmpty(t, exported)
	prev := -1.0
	for _, m := range exported {
		assert.Equal(t, "gen", m["name"])
		assert.Equal(t, "counter", m["type"])
		v := m["value"].(float64)
		assert.GreaterOrEqual(t, v, prev, "cumulative output never decreases")
		prev = v
	}
	assert.Equal(t, float64(total), prev)
	// The last exports (the shutdown one, and more on a loaded machine) may still sit in
	// an exporter's persistent queue (file_storage: delivered at the next start, not
	// lost), so the two files may hold different numbers of exports; both hold the total.
	rows, _ := countCSVRows(filepath.Join(out, "csv", "metrics.csv"))
	t.Logf("metrics exports: %d JSON lines, %d CSV rows", len(exported), rows)
	assert.GreaterOrEqual(t, rows, 1)
	assert.Equal(t, strconv.Itoa(total), lastCSVValue(filepath.Join(out, "csv", "metrics.csv")))
	// CSV cells that a spreadsheet would run are escaped.
	raw, err := os.ReadFile(filepath.Join(out, "csv", "logs.csv"))
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"hello ""tasker"", =1+1"`)
}

func countJSONLines(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		if json.Valid(sc.Bytes()) {
			n++
		}
	}
	return n
}

func readJSONLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var objs []map[string]any
	dec := json.NewDecoder(f)
	for {
		var o map[string]any
		err := dec.Decode(&o)
		if err == io.EOF {
			return objs
		}
		require.NoError(t, err, path)
		objs = append(objs, o)
	}
}

// countCSVRows parses a CSV file (encoding/csv: RFC 4180, fields per record checked
// against the header) and returns the number of data rows and the header.
func countCSVRows(path string) (int, []string) {
	f, err := os.Open(path)
	if err != nil {
		return -1, nil
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return -1, nil
	}
	n := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return n, header
		}
		if err != nil || len(rec) != len(header) {
			return -1, header
		}
		n++
	}
}

// lastJSONValue is the "value" of the last line of an NDJSON file (-1 when unreadable).
func lastJSONValue(path string) float64 {
	raw, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	var o map[string]any
	if json.Unmarshal([]byte(lines[len(lines)-1]), &o) != nil {
		return -1
	}
	v, ok := o["value"].(float64)
	if !ok {
		return -1
	}
	return v
}

// lastCSVValue is the "value" cell of the last row of a CSV file.
func lastCSVValue(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) < 2 {
		return ""
	}
	for i, h := range recs[0] {
		if h == "value" {
			return recs[len(recs)-1][i]
		}
	}
	return ""
}
