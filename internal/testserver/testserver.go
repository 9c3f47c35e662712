// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package testserver holds what tests that start real servers (redis-server,
// memcached, the collector binary) share: finding the program and a free loopback
// port. A missing program skips the test, except under CI=true, where it fails: CI
// installs every server the tests need, so a skip there would hide a broken setup.
package testserver // import "github.com/tasker-systems/otelcol-tasker/internal/testserver"

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// searchDirs are looked in after $PATH (a CI image may not have them all in $PATH).
var searchDirs = []string{"/usr/bin", "/usr/local/bin", "/usr/sbin", "/opt/homebrew/bin"}

// Binary returns the path of the named program: from $PATH, or /usr/bin,
// /usr/local/bin, /usr/sbin, /opt/homebrew/bin. Missing: t.Skip, or t.Fatal when CI=true.
func Binary(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range searchDirs {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not found (required when CI=true; .ci/run installs it with apt-get)", name)
	}
	t.Skipf("%s not found: skipping (install it to run this test)", name)
	return ""
}

// FreePort returns a TCP port that was free on 127.0.0.1 a moment ago. Callers retry
// with another port when the bind fails, since the port may be taken in between.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Available reports whether the named program can be found (see Binary), for callers
// that decide up front whether to start a shared server.
func Available(name string) bool {
	if _, err := exec.LookPath(name); err == nil {
		return true
	}
	for _, dir := range searchDirs {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}
