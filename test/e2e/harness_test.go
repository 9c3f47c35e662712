// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package e2e runs the built otelcol-tasker binary (OTELCOL_TASKER_BIN, set by
// `make test`) against real inputs on 127.0.0.1 and checks what it writes.
package e2e

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tool returns the path of a binary named by env, skipping the test when it is unset
// outside CI and failing it under CI=true.
func tool(t *testing.T, env string) string {
	t.Helper()
	p := os.Getenv(env)
	if p == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: run the end-to-end tests through `make test`", env)
		}
		t.Skipf("%s is not set: run through `make test` or `make e2e`", env)
	}
	abs, err := filepath.Abs(p)
	require.NoError(t, err)
	_, err = os.Stat(abs)
	require.NoError(t, err, "%s=%s", env, p)
	return abs
}

// repoFile returns the absolute path of a file at the repository root.
func repoFile(t *testing.T, name string) string {
	_, here, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(here), "..", "..", name)
	_, err := os.Stat(p)
	require.NoError(t, err)
	return p
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// collector is a running otelcol-tasker process.
type collector struct {
	cmd    *exec.Cmd
	dir    string
	health string
	mu     sync.Mutex
	out    bytes.Buffer
	done   chan error
}

func (c *collector) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.Write(p)
}

func (c *collector) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

// startCollector runs bin with config in dir (relative paths in the config resolve
// there) plus --set overrides, and waits until the health check answers.
func startCollector(t *testing.T, bin, dir, config string, healthPort int, sets ...string) *collector {
	t.Helper()
	args := []string{"--config", config}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	c := &collector{dir: dir, health: "http://127.0.0.1:" + strconv.Itoa(healthPort) + "/", done: make(chan error, 1)}
	c.cmd = exec.Command(bin, args...)
	c.cmd.Dir = dir
	c.cmd.Stdout = c
	c.cmd.Stderr = c
	require.NoError(t, c.cmd.Start())
	go func() { c.done <- c.cmd.Wait() }()
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			_ = c.cmd.Process.Kill()
			<-c.done
		}
		if t.Failed() {
			t.Logf("collector output:\n%s", c.output())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-c.done:
			t.Fatalf("collector exited during start: %v\n%s", err, c.output())
		default:
		}
		resp, err := http.Get(c.health)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("collector not healthy after 30s\n%s", c.output())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (c *collector) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, c.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-c.done:
		require.NoError(t, err, "collector exit\n%s", c.output())
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		t.Fatalf("collector did not stop within 30s\n%s", c.output())
	}
}

// run executes a command and fails the test with its output when it fails.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	require.NoError(t, err, "%s %v:\n%s", name, args, out)
	return string(out)
}

// eventually polls cond until it returns nil or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met after %s: %v", timeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
