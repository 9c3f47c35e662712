// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csvexporter

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/exporter/csvexporter/internal/metadata"
)

// pythonReader reads a CSV file with Python's csv module (strict mode) and prints the
// records as JSON.
const pythonReader = `
import csv, json, sys
with open(sys.argv[1], newline='', encoding='utf-8') as f:
    print(json.dumps(list(csv.reader(f, delimiter=sys.argv[2], strict=True))))
`

func python(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 is required in CI for the CSV round-trip test")
		}
		t.Skip("python3 not found")
	}
	// Resolve version-manager shims (pyenv) once: each run then starts the interpreter directly.
	if out, err := exec.Command(path, "-c", "import sys; print(sys.executable)").Output(); err == nil {
		if exe := strings.TrimSpace(string(out)); exe != "" {
			return exe
		}
	}
	return path
}

// tricky label values and how a reader must see them, with formula escaping on.
var tricky = []struct{ in, escaped string }{
	{"plain", "plain"},
	{"a,b", "a,b"},
	{"a;b", "a;b"},
	{`say "hi"`, `say "hi"`},
	{`"quoted, and ; separated"`, `"quoted, and ; separated"`},
	{"line1\nline2", "line1\nline2"},
	{"cr\rlf\r\nend", "cr\rlf\r\nend"},
	{"naïve ☃ 日本 🚀", "naïve ☃ 日本 🚀"},
	{" leading space", " leading space"},
	{"trailing space ", "trailing space "},
	{"=SUM(A1:A2)", "'=SUM(A1:A2)"},
	{"+1", "'+1"},
	{"-1", "'-1"},
	{"@SUM(1)", "'@SUM(1)"},
	{"\tTAB", "'\tTAB"},
	{"\rCR", "'\rCR"},
	{"=1,2;\"3\"", "'=1,2;\"3\""},
	{`\.`, `\.`},
	{"", ""},
}

func TestPythonRoundTrip(t *testing.T) {
	py := python(t)
	script := filepath.Join(t.TempDir(), "read.py")
	require.NoError(t, os.WriteFile(script, []byte(pythonReader), 0o600))

	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "billing")
	rm.Resource().Attributes().PutStr("service.instance.id", "=i-1")
	g := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	g.SetName("weird")
	dps := g.SetEmptyGauge().DataPoints()
	for i, v := range tricky {
		dp := dps.AppendEmpty()
		dp.SetDoubleValue(float64(i) - 1.5)
		dp.Attributes().PutStr("tricky.v", v.in)
		dp.Attributes().PutInt("n", int64(-i))
	}
	dps.AppendEmpty().SetIntValue(-3) // no labels: empty cells

	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for _, v := range tricky {
		lr := lrs.AppendEmpty()
		lr.SetSeverityText("INFO")
		lr.Body().SetStr(v.in)
	}
	lrs.AppendEmpty().Body().SetInt(-42) // a number: never escaped

	for _, tc := range []struct {
		name   string
		mod    func(*Config)
		sep    string
		escape bool
	}{
		{"default", nil, ",", true},
		{"crlf", func(c *Config) { c.LineEnding = LineEndingCRLF }, ",", true},
		{"semicolon", func(c *Config) { c.Separator = ";" }, ";", true},
		{"tab_no_escape", func(c *Config) { c.Separator = "\t"; c.EscapeFormulas = false }, "\t", false},
		{"unicode_separator_crlf", func(c *Config) { c.Separator = "§"; c.LineEnding = LineEndingCRLF }, "§", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := fileConfig(dir, func(c *Config) {
				c.Columns = []string{"name", "value", "labels"}
				c.ResourceColumns = DefaultResourceColumns // and SQL-friendly label names
				c.LabelNames = LabelNamesSQL
				c.LogColumns = []string{"severity_text", "body"}
				if tc.mod != nil {
					tc.mod(c)
				}
			})
			ctx := context.Background()
			me := startMetrics(t, cfg)
			require.NoError(t, me.ConsumeMetrics(ctx, md))
			require.NoError(t, me.Shutdown(ctx))
			le, err := NewFactory().CreateLogs(ctx, exportertest.NewNopSettings(metadata.Type), cfg)
			require.NoError(t, err)
			require.NoError(t, le.Start(ctx, componenttest.NewNopHost()))
			require.NoError(t, le.ConsumeLogs(ctx, ld))
			require.NoError(t, le.Shutdown(ctx))

			cell := func(i int) string {
				if tc.escape {
					return tricky[i].escaped
				}
				return tricky[i].in
			}
			inst := "'=i-1"
			if !tc.escape {
				inst = "=i-1"
			}
			wantMetrics := [][]string{{"name", "value", "n", "tricky_v", "service_name", "service_instance_id"}}
			wantLogs := [][]string{{"severity_text", "body"}}
			for i := range tricky {
				wantMetrics = append(wantMetrics, []string{"weird", formatFloat(float64(i) - 1.5), formatInt(-i), cell(i), "billing", inst})
				wantLogs = append(wantLogs, []string{"INFO", cell(i)})
			}
			wantMetrics = append(wantMetrics, []string{"weird", "-3", "", "", "billing", inst})
			wantLogs = append(wantLogs, []string{"", "-42"})

			assert.Equal(t, wantMetrics, readWithPython(t, py, script, filepath.Join(dir, "metrics.csv"), tc.sep))
			assert.Equal(t, wantLogs, readWithPython(t, py, script, filepath.Join(dir, "logs.csv"), tc.sep))

			raw, err := os.ReadFile(filepath.Join(dir, "metrics.csv"))
			require.NoError(t, err)
			if cfg.LineEnding == LineEndingCRLF {
				assert.Contains(t, string(raw), "service_instance_id\r\n")
			} else {
				assert.NotContains(t, string(raw), "service_instance_id\r")
			}
		})
	}
}

func readWithPython(t *testing.T, py, script, path, sep string) [][]string {
	t.Helper()
	out, err := exec.Command(py, script, path, sep).Output()
	require.NoError(t, err, "%s", out)
	var recs [][]string
	require.NoError(t, json.Unmarshal(out, &recs))
	return recs
}

func formatFloat(f float64) string {
	v := pcommon.NewValueDouble(f)
	return v.AsString()
}

func formatInt(i int) string {
	v := pcommon.NewValueInt(int64(i))
	return v.AsString()
}
