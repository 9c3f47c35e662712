// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package redistest starts real redis-server processes for tests: a standalone server
// (which can be stopped and restarted on the same port, for fault tests) and a Redis
// Cluster of several masters, all on free ports of 127.0.0.1, in t.TempDir(), killed
// in t.Cleanup. When redis-server is not installed the test is skipped, unless the
// environment variable CI is "true", where it fails.
package redistest // import "github.com/tasker-systems/otelcol-tasker/internal/testserver/redistest"

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tasker-systems/otelcol-tasker/internal/testserver"
)

// startTimeout bounds how long a server or cluster may take to come up.
const startTimeout = 20 * time.Second

// Binary returns the path of the named program (redis-server, redis-cli): from $PATH or
// /usr/bin, /usr/local/bin. Missing: t.Skip, or t.Fatal when CI=true.
var Binary = testserver.Binary

// FreePort returns a TCP port that was free on 127.0.0.1 a moment ago.
var FreePort = testserver.FreePort

// Server is one redis-server process.
type Server struct {
	t     testing.TB
	bin   string
	dir   string
	Port  int
	Addr  string // 127.0.0.1:<port>
	extra []string
	conf  string // Sentinel: its config file (the server runs with --sentinel)

	run testserver.Running
}

// Start starts a standalone redis-server (no persistence) and waits until it answers
// PING. It is killed when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return start(t, nil)
}

// StartPersistent starts a standalone redis-server that keeps its data in an
// append-only file fsynced on every write: Stop (SIGKILL) and Restart keep the data,
// as a production Redis with AOF does across a crash.
func StartPersistent(t testing.TB) *Server {
	t.Helper()
	return start(t, []string{"--appendonly", "yes", "--appendfsync", "always"})
}

// StartWith starts a server with extra redis-server arguments (e.g. --requirepass).
func StartWith(t testing.TB, extra ...string) *Server {
	t.Helper()
	return start(t, extra)
}

func start(t testing.TB, extra []string) *Server {
	t.Helper()
	bin := Binary(t, "redis-server")
	var s *Server
	testserver.OnFreePort(t, "redis-server", func(port int) error {
		s = &Server{t: t, bin: bin, dir: t.TempDir(), extra: extra, Port: port, Addr: "127.0.0.1:" + strconv.Itoa(port)}
		return s.launch()
	})
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) launch() error {
	args := []string{"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--dir", s.dir, "--protected-mode", "no"}
	args = append(args, s.extra...)
	if s.conf != "" {
		args = []string{s.conf, "--sentinel"}
	}
	cmd := exec.Command(s.bin, args...)
	cmd.Dir = s.dir
	p, err := testserver.Launch(cmd, "redis-server", s.Port, startTimeout, 20*time.Millisecond, func() bool {
		// A server with requirepass answers NOAUTH: it is up too.
		reply, err := s.Do("PING")
		return (err == nil && reply == "PONG") || (err != nil && strings.Contains(err.Error(), "NOAUTH"))
	})
	if err == nil {
		s.run.Set(p)
	}
	return err
}

// Stop kills the server (no-op when stopped) and waits until its port is closed. The
// port is kept for Restart.
func (s *Server) Stop() {
	if !s.run.Stop() {
		return
	}
	for range 200 { // wait until the port is closed
		if _, err := s.Do("PING"); err != nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Restart starts the server again on the same port (empty: nothing is persisted).
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if err := testserver.Relaunch(s.launch); err != nil {
		s.t.Fatalf("restart redis-server on port %d: %v", s.Port, err)
	}
}

// Do sends one command over a fresh connection and returns its reply as text (simple
// strings, integers and bulk strings; arrays are joined with newlines). For setup and
// assertions, not for speed.
func (s *Server) Do(args ...string) (string, error) {
	return Do(s.Addr, args...)
}

// Do sends one command to addr (see Server.Do).
func Do(addr string, args ...string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write([]byte(b.String())); err != nil {
		return "", err
	}
	return readReply(bufio.NewReader(conn))
}

func readReply(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("empty reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", fmt.Errorf("redis: %s", line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", err
		}
		buf := make([]byte, n+2)
		if _, err := ioReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return "", err
		}
		parts := make([]string, 0, max(n, 0))
		for range n {
			p, err := readReply(r)
			if err != nil {
				return "", err
			}
			parts = append(parts, p)
		}
		return strings.Join(parts, "\n"), nil
	}
	return "", fmt.Errorf("unexpected reply %q", line)
}

func ioReadFull(r *bufio.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// SentinelMaster is the name StartSentinel monitors its master under.
const SentinelMaster = "mymaster"

// StartSentinel starts a Sentinel (redis-server --sentinel) that monitors master as
// SentinelMaster with quorum 1 (down after 1 s). Clients in Sentinel mode ask it for the
// master's address; with no replica to promote, a restarted master stays the master.
func StartSentinel(t testing.TB, master *Server) *Server {
	t.Helper()
	s := &Server{t: t, bin: Binary(t, "redis-server"), dir: t.TempDir()}
	s.Port = FreePort(t)
	s.Addr = "127.0.0.1:" + strconv.Itoa(s.Port)
	s.conf = filepath.Join(s.dir, "sentinel.conf")
	conf := fmt.Sprintf("port %d\nbind 127.0.0.1\nprotected-mode no\ndir %s\n"+
		"sentinel monitor %s 127.0.0.1 %d 1\nsentinel down-after-milliseconds %s 1000\nsentinel failover-timeout %s 5000\n",
		s.Port, s.dir, SentinelMaster, master.Port, SentinelMaster, SentinelMaster)
	if err := os.WriteFile(s.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.launch(); err != nil {
		t.Fatalf("sentinel: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Cluster is a Redis Cluster of masters without replicas.
type Cluster struct {
	Nodes []*Server
	Addrs []string
}

// StartCluster starts masters redis-server nodes in cluster mode, joins them with
// `redis-cli --cluster create`, and waits until every node reports cluster_state:ok.
func StartCluster(t testing.TB, masters int) *Cluster {
	t.Helper()
	if masters < 3 {
		t.Fatalf("a Redis Cluster needs at least 3 masters, got %d", masters)
	}
	cli := Binary(t, "redis-cli")
	c := &Cluster{}
	for range masters {
		n := start(t, []string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000"})
		c.Nodes = append(c.Nodes, n)
		c.Addrs = append(c.Addrs, n.Addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(startTimeout)
	for _, n := range c.Nodes {
		for {
			info, err := n.Do("CLUSTER", "INFO")
			if err == nil && strings.Contains(info, "cluster_state:ok") && clusterSlotsCovered(n) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cluster node %s not ok within %s: %v\n%s", n.Addr, startTimeout, err, info)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return c
}

// clusterSlotsCovered reports whether the node knows all masters' slots.
func clusterSlotsCovered(n *Server) bool {
	info, err := n.Do("CLUSTER", "INFO")
	return err == nil && strings.Contains(info, "cluster_slots_ok:16384")
}

// DBSizes returns each node's DBSIZE, in Nodes order.
func (c *Cluster) DBSizes(t testing.TB) []int {
	t.Helper()
	out := make([]int, len(c.Nodes))
	for i, n := range c.Nodes {
		v, err := n.Do("DBSIZE")
		if err != nil {
			t.Fatalf("DBSIZE on %s: %v", n.Addr, err)
		}
		if out[i], err = strconv.Atoi(v); err != nil {
			t.Fatalf("DBSIZE on %s: %q", n.Addr, v)
		}
	}
	return out
}
