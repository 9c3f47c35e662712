// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readmeCommands returns the shell commands of the ```sh blocks of the README section
// that starts with heading, one per command: a command continues over lines while a
// single quote is open or a line ends with a backslash.
func readmeCommands(t *testing.T, readme, heading string) []string {
	t.Helper()
	i := strings.Index(readme, "\n"+heading+"\n")
	require.GreaterOrEqual(t, i, 0, "README section %q", heading)
	section := readme[i+len(heading)+2:]
	if j := strings.Index(section, "\n## "); j >= 0 {
		section = section[:j]
	}
	var cmds []string
	for _, block := range strings.Split(section, "```sh\n")[1:] {
		block = block[:strings.Index(block, "```")]
		var cur strings.Builder
		for _, line := range strings.Split(block, "\n") {
			if cur.Len() == 0 && (strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#")) {
				continue
			}
			if strings.Count(cur.String(), "'")%2 == 0 { // not inside a quote: drop a trailing comment
				line = stripComment(line)
			}
			cur.WriteString(line)
			cur.WriteByte('\n')
			if strings.Count(cur.String(), "'")%2 == 0 && !strings.HasSuffix(line, `\`) {
				cmds = append(cmds, strings.TrimSpace(cur.String()))
				cur.Reset()
			}
		}
		require.Zero(t, cur.Len(), "unterminated command in %q: %s", heading, cur.String())
	}
	return cmds
}

// TestE2EReadme runs the commands of the README's demo and "Sending data" sections, in
// order, against the built binary on otelcol-config.yaml (in a temporary directory, the
// ports moved to free ones, tasker_cache's interval 1 s so "sleep 30" becomes "sleep 3"),
// and checks what the README says of each: the summaries, the span count, the endpoints,
// the files. A command the test does not know fails it, so a new README command needs
// its check.
// loopbackPort matches a loopback address with its port.
var loopbackPort = regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)

func TestE2EReadme(t *testing.T) {
	bin := tool(t, "OTELCOL_TASKER_BIN")
	gen, tg := tool(t, "TASKERGEN_BIN"), tool(t, "TELEMETRYGEN_BIN")
	raw, err := os.ReadFile(repoFile(t, "README.md"))
	require.NoError(t, err)
	readme := string(raw)

	dir := t.TempDir()
	ports := map[string]int{}
	for _, p := range []string{"4317", "4318", "4320", "4321", "13133"} {
		ports[p] = freePort(t)
	}
	port := func(p string) string { return strconv.Itoa(ports[p]) }
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "bin"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "tmp"), 0o755))
	require.NoError(t, os.Symlink(gen, filepath.Join(dir, "bin", "taskergen")))
	require.NoError(t, os.Symlink(tg, filepath.Join(dir, "bin", "telemetrygen")))
	startCollector(t, bin, dir, repoFile(t, "otelcol-config.yaml"), ports["13133"],
		"receivers::otlp::protocols::grpc::endpoint=127.0.0.1:"+port("4317"),
		"receivers::otlp::protocols::http::endpoint=127.0.0.1:"+port("4318"),
		"receivers::tasker::http::endpoint=127.0.0.1:"+port("4320"),
		"receivers::tasker::logs::poll_interval=50ms",
		"extensions::health_check::endpoint=127.0.0.1:"+port("13133"),
		"extensions::tasker_registry::endpoint=127.0.0.1:"+port("4321"),
		"service::telemetry::metrics::level=none",
		"processors::tasker_cache::interval=1s")
	// The README's claim about what `make run` writes, checked at the end.
	assert.Contains(t, readme, "out/json/{metrics,logs,traces}.json")
	assert.Contains(t, readme, "out/csv/{metrics,logs,traces}.csv")

	sh := func(cmd string) string {
		// One pass over the addresses: replacing them one after the other could rewrite
		// a port already replaced (4317 → 43187, then its prefix 4318 again).
		cmd = loopbackPort.ReplaceAllStringFunc(cmd, func(addr string) string {
			if _, ok := ports[addr[len("127.0.0.1:"):]]; ok {
				return "127.0.0.1:" + port(addr[len("127.0.0.1:"):])
			}
			return addr
		})
		cmd = strings.ReplaceAll(cmd, "/tmp/", filepath.Join(dir, "tmp")+"/")
		cmd = strings.ReplaceAll(cmd, "sleep 30", "sleep 3")
		c := exec.Command("bash", "-c", cmd) // as a shell runs it: `curl | head` may end curl early
		c.Dir = dir
		out, err := c.CombinedOutput()
		require.NoError(t, err, "README command %s:\n%s", cmd, out)
		return string(out)
	}
	lines := func(name string) int { return countJSONLines(filepath.Join(dir, "out", "json", name)) }
	var spansExpected int
	summary := func(b []byte) taskergenSummary {
		var s taskergenSummary
		require.NoError(t, json.Unmarshal(b, &s), string(b))
		require.Positive(t, s.Tasks)
		spansExpected += s.SpansExpected
		return s
	}

	cmds := append(readmeCommands(t, readme, "## Demo: Tasker events in, files and aggregates out"),
		readmeCommands(t, readme, "## Sending data")...)
	require.NotEmpty(t, cmds)
	for _, cmd := range cmds {
		switch {
		case cmd == "make taskergen": // the test has the binary already
		case strings.Contains(cmd, "taskergen") && strings.Contains(cmd, "--http"):
			sh(cmd)
			b, err := os.ReadFile(filepath.Join(dir, "tmp", "summary.json"))
			require.NoError(t, err, "the --summary file")
			summary(b)
		case strings.Contains(cmd, "taskergen") && strings.Contains(cmd, "--log-file"):
			out := sh(cmd)
			summary([]byte(out[strings.Index(out, "{"):]))
		case strings.HasPrefix(cmd, "wc -l out/json/traces.json"):
			eventually(t, 30*time.Second, func() error {
				if n := lines("traces.json"); n != spansExpected {
					return errorf("%s: %d spans, want %d (the spans_expected of the summaries)", cmd, n, spansExpected)
				}
				return nil
			})
			assert.Contains(t, sh(cmd), strconv.Itoa(spansExpected))
		case strings.Contains(cmd, "/v1/stats"):
			var stats struct {
				Plugins map[string]json.RawMessage `json:"plugins"`
			}
			require.NoError(t, json.Unmarshal([]byte(sh(cmd)), &stats))
			assert.Contains(t, stats.Plugins, "tasker_csv", "exports per plugin")
		case strings.Contains(cmd, "/v1/export?format=csv"):
			assert.True(t, strings.HasPrefix(sh(cmd), "timestamp,start_timestamp,name,type,temporality,value,"), "the aggregate as CSV")
		case strings.Contains(cmd, "/metrics | grep tasker_task_outcomes"):
			assert.Contains(t, sh(cmd), "tasker_task_outcomes")
		case strings.HasPrefix(cmd, "for i in 1 2; do curl -s http://127.0.0.1:4320/v1/events"):
			assert.Equal(t, `{"accepted":1,"duplicates":0,"rejected":0,"errors":[]}`+"\n"+
				`{"accepted":1,"duplicates":1,"rejected":0,"errors":[]}`+"\n", sh(cmd), "the answers the README shows")
			spansExpected++ // one span for the task, not two
			eventually(t, 30*time.Second, func() error {
				if n := lines("traces.json"); n != spansExpected {
					return errorf("%s: %d spans, want %d", cmd, n, spansExpected)
				}
				return nil
			})
		case strings.Contains(cmd, "telemetrygen traces"):
			before := lines("traces.json")
			sh(cmd)
			traces, children := flagInt(t, cmd, "--traces"), flagInt(t, cmd, "--child-spans")
			eventually(t, 30*time.Second, func() error {
				if n := lines("traces.json") - before; n != traces*(1+children) {
					return errorf("%s: %d spans more, want %d", cmd, n, traces*(1+children))
				}
				return nil
			})
		case strings.Contains(cmd, "telemetrygen logs"):
			before := lines("logs.json")
			sh(cmd)
			eventually(t, 30*time.Second, func() error {
				if n := lines("logs.json") - before; n != flagInt(t, cmd, "--logs") {
					return errorf("%s: %d log records more", cmd, n)
				}
				return nil
			})
		case strings.Contains(cmd, "telemetrygen metrics"):
			sh(cmd)
			eventually(t, 30*time.Second, func() error {
				if !strings.Contains(sh("cat out/json/metrics.json"), `"name":"gen"`) {
					return errorf("%s: no gen metric in out/json/metrics.json", cmd)
				}
				return nil
			})
		case strings.Contains(cmd, "curl -sS -X POST http://127.0.0.1:4318/v1/metrics"):
			assert.Contains(t, sh(cmd), "{", "OTLP/HTTP answers JSON")
		case strings.HasPrefix(cmd, "sleep "):
			sh(cmd)
		case strings.HasPrefix(cmd, "grep task_completed_total out/json/metrics.json"):
			assert.Contains(t, sh(cmd), `"value":3`)
		case strings.HasPrefix(cmd, "grep task_completed_total out/csv/metrics.csv"):
			assert.Contains(t, sh(cmd), "task_completed_total,counter,cumulative,3,")
		default:
			t.Errorf("README command without a check in this test: %s", cmd)
		}
	}
	for _, f := range []string{"json/metrics.json", "json/logs.json", "json/traces.json", "csv/metrics.csv", "csv/logs.csv", "csv/traces.csv", "storage", "demo/tasker.log"} {
		_, err := os.Stat(filepath.Join(dir, "out", f))
		assert.NoError(t, err, "out/%s", f)
	}
}

// stripComment drops a " # comment" that is outside single quotes.
func stripComment(line string) string {
	quoted := false
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\'':
			quoted = !quoted
		case !quoted && line[i] == '#' && i > 0 && line[i-1] == ' ':
			return strings.TrimRight(line[:i], " ")
		}
	}
	return line
}

// flagInt is the integer value of a --flag in a command line.
func flagInt(t *testing.T, cmd, flag string) int {
	t.Helper()
	f := strings.Fields(cmd)
	for i := range f[:len(f)-1] {
		if f[i] == flag {
			n, err := strconv.Atoi(f[i+1])
			require.NoError(t, err, "%s in %s", flag, cmd)
			return n
		}
	}
	t.Fatalf("%s not in %s", flag, cmd)
	return 0
}
