// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package memcachedtest starts real memcached processes for tests, on free ports of
// 127.0.0.1, killed in t.Cleanup. A server can be stopped and restarted on the same port
// (empty again), or paused (SIGSTOP: connections hang) and resumed, for fault tests.
// When memcached is not installed the test is skipped, unless the environment variable
// CI is "true", where it fails.
package memcachedtest // import "github.com/tasker-systems/otelcol-tasker/internal/testserver/memcachedtest"

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tasker-systems/otelcol-tasker/internal/testserver"
)

// startTimeout bounds how long a server may take to answer.
const startTimeout = 10 * time.Second

// Binary returns the path of memcached: from $PATH or /usr/bin, /usr/local/bin.
// Missing: t.Skip, or t.Fatal when CI=true.
func Binary(t testing.TB) string {
	t.Helper()
	return testserver.Binary(t, "memcached")
}

// FreePort returns a TCP port that was free on 127.0.0.1 a moment ago.
var FreePort = testserver.FreePort

// Server is one memcached process.
type Server struct {
	t     testing.TB
	bin   string
	Port  int
	Addr  string // 127.0.0.1:<port>
	extra []string

	run testserver.Running
}

// Start starts memcached (-l 127.0.0.1 -p <free port> -U 0 -m 64, plus -u root when run
// as root, plus extra arguments) and waits until it answers `version`. It is killed when
// the test ends.
func Start(t testing.TB, extra ...string) *Server {
	t.Helper()
	bin := Binary(t)
	var s *Server
	testserver.OnFreePort(t, "memcached", func(port int) error {
		s = &Server{t: t, bin: bin, extra: extra, Port: port, Addr: "127.0.0.1:" + strconv.Itoa(port)}
		return s.launch()
	})
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) launch() error {
	args := []string{"-l", "127.0.0.1", "-p", strconv.Itoa(s.Port), "-U", "0", "-m", "64"}
	if os.Geteuid() == 0 {
		args = append(args, "-u", "root")
	}
	args = append(args, s.extra...)
	p, err := testserver.Launch(exec.Command(s.bin, args...), "memcached", s.Port, startTimeout, 10*time.Millisecond, func() bool {
		reply, err := Do(s.Addr, "version")
		return err == nil && strings.HasPrefix(reply, "VERSION ")
	})
	if err == nil {
		s.run.Set(p)
	}
	return err
}

// Stop kills the server (no-op when stopped) and waits until it exited. The port is kept
// for Restart.
func (s *Server) Stop() { s.run.Stop() }

// Restart starts the server again on the same port, empty.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if err := testserver.Relaunch(s.launch); err != nil {
		s.t.Fatalf("restart memcached on port %d: %v", s.Port, err)
	}
}

// Pause stops the process (SIGSTOP): connections are accepted by the kernel but nothing
// answers, as with a hung server or a black-holed network. It returns once every thread
// is stopped (signal delivery is asynchronous: a request sent right after kill(2) could
// otherwise still be answered).
func (s *Server) Pause() {
	s.signal(syscall.SIGSTOP)
	s.waitState(func(state byte) bool { return state == 'T' || state == 't' }, "stopped")
}

// Resume continues a paused server, and returns once it runs again.
func (s *Server) Resume() {
	s.signal(syscall.SIGCONT)
	s.waitState(func(state byte) bool { return state != 'T' && state != 't' }, "running")
}

// waitState polls every thread's state in /proc (Linux) until ok holds for all of them;
// elsewhere it waits a moment.
func (s *Server) waitState(ok func(byte) bool, what string) {
	s.t.Helper()
	pid := s.run.Get().Cmd.Process.Pid
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
	if err != nil || len(tasks) == 0 {
		time.Sleep(50 * time.Millisecond)
		return
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		all := true
		for _, f := range tasks {
			raw, err := os.ReadFile(f)
			if err != nil {
				continue // the thread exited
			}
			// "<pid> (<comm>) <state> ...": the state follows the last ')'.
			i := bytes.LastIndexByte(raw, ')')
			if i < 0 || i+2 >= len(raw) || !ok(raw[i+2]) {
				all = false
				break
			}
		}
		if all {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	s.t.Fatalf("memcached (pid %d) not %s after 5s", pid, what)
}

func (s *Server) signal(sig os.Signal) {
	s.t.Helper()
	p := s.run.Get()
	if p == nil {
		s.t.Fatalf("memcached on port %d is not running", s.Port)
	}
	if err := p.Cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("signal memcached: %v", err)
	}
}

// Log is what the process wrote to stdout and stderr.
func (s *Server) Log() string { return s.run.Log() }

// Do sends one text-protocol command to the server over a fresh connection and returns
// the first line of the reply, without CRLF.
func (s *Server) Do(command string) (string, error) { return Do(s.Addr, command) }

// Do sends one text-protocol command line (e.g. "version", "mg <key> t", "flush_all",
// "delete <key>") to addr over a fresh connection and returns the first line of the
// reply without CRLF (of a multi-line reply, only the first line).
func Do(addr, command string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte(command + "\r\n")); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// TTL returns the remaining memcached expiration of key in seconds (-1: never expires),
// with ok false when the key is absent (meta get with the t flag).
func (s *Server) TTL(key string) (secs int, ok bool, err error) {
	line, err := s.Do("mg " + key + " t")
	if err != nil {
		return 0, false, err
	}
	if line == "EN" {
		return 0, false, nil
	}
	for _, f := range strings.Fields(line)[1:] {
		if strings.HasPrefix(f, "t") {
			v, err := strconv.Atoi(f[1:])
			return v, err == nil, err
		}
	}
	return 0, false, fmt.Errorf("unexpected reply %q", line)
}
