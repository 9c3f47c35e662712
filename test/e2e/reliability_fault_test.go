// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/otelcol-tasker/internal/testfs"
)

// faultCase runs taskergen HTTP load against the shipped config with the exporters'
// files in out, applies fault mid-run for the profile's duration (the returned func
// ends it), and checks once the fault is over: every event answered 200 written,
// nothing torn, duplicates within at-least-once (http_retries × batch: only requests
// taskergen saw refused are repeated), the collector up, and the failures visible in
// its log. A fault longer than the exporters' retry_on_failure budget (5 s as shipped)
// is answered 503 + Retry-After, which taskergen retries: the profiles last longer.
func faultCase(t *testing.T, name string, out string, fault func() (end func())) {
	p := reliabilityProfile()
	s := newDurableRun(t,
		"exporters::tasker_json::path="+filepath.Join(out, "json", "{signal}.json"),
		"exporters::tasker_csv::path="+filepath.Join(out, "csv", "{signal}.csv"))
	c := s.start(t)
	g := startGen(t, s.dir, s.events, "--seed", "31", "--tasks", strconv.Itoa(p.faultTask),
		"--batch", strconv.Itoa(reliabilityBatch), "--rate", fmt.Sprint(p.faultRate), "--duplicates", "0.05")
	waitLines(t, newCounter(filepath.Join(out, "json"), "logs", "json"), 2000, time.Minute, "log records before the fault")
	end := fault()
	time.Sleep(p.fault)
	c.alive(t)
	end()
	sum := g.wait(t, 5*time.Minute)
	f := httpFigures(t, out, sentEvents(t, g.events), sum, sum.HTTPRetries*reliabilityBatch)
	require.Positive(t, sum.HTTPRetries, "the fault was not noticed: no request refused")
	require.Contains(t, c.output(), "Write to a tasker output failed", "write failures are logged")
	f.Case, f.Profile = fmt.Sprintf("%s for %s under HTTP load", name, p.fault), p.name
	f.Note = fmt.Sprintf("%d write failures logged", strings.Count(c.output(), "Write to a tasker output failed"))
	report(t, f)
	c.alive(t)
	c.stop(t)
}

// TestE2EReliabilityDiskFull: the exporters' file system (a tmpfs the test mounts)
// fills up mid-run.
func TestE2EReliabilityDiskFull(t *testing.T) {
	tool(t, "OTELCOL_TASKER_BIN")
	out := testfs.Tmpfs(t, int64(reliabilityProfile().faultTask)<<17+64<<20) // the run's files (about 60 KB a task) fit, with room
	faultCase(t, "disk full", out, func() func() {
		filler := testfs.Fill(t, out, 0)
		return func() { require.NoError(t, os.Remove(filler)) }
	})
}

// TestE2EReliabilityUnwritable: the exporters' files and directories are made
// immutable (chattr +i: even root cannot write them) mid-run.
func TestE2EReliabilityUnwritable(t *testing.T) {
	tool(t, "OTELCOL_TASKER_BIN")
	out := t.TempDir()
	faultCase(t, "output unwritable (chattr +i)", out, func() func() {
		var paths []string
		for _, d := range []string{"json", "csv"} {
			m, err := filepath.Glob(filepath.Join(out, d, "*"))
			require.NoError(t, err)
			paths = append(append(paths, m...), filepath.Join(out, d))
		}
		for _, p := range paths {
			testfs.Immutable(t, p, true)
		}
		return func() {
			for _, p := range paths {
				testfs.Immutable(t, p, false)
			}
		}
	})
}
