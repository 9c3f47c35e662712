// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package testserver

import (
	"bytes"
	"fmt"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Proc is a server process started by Launch.
type Proc struct {
	Cmd    *exec.Cmd
	Exited <-chan struct{} // closed once the process has exited
	Log    *Buffer         // what it wrote to stdout and stderr
}

// Launch starts cmd, the server name on port, with its output in Proc.Log, and polls
// ready every poll until it reports true. When the process exits first, or ready does
// not hold within timeout (the process is then killed), it returns an error with the
// server's output.
func Launch(cmd *exec.Cmd, name string, port int, timeout, poll time.Duration, ready func() bool) (*Proc, error) {
	log := &Buffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	p := &Proc{Cmd: cmd, Exited: exited, Log: log}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return nil, fmt.Errorf("%s on port %d exited: %s", name, port, log.String())
		default:
		}
		if ready() {
			return p, nil
		}
		time.Sleep(poll)
	}
	p.Kill()
	return nil, fmt.Errorf("%s on port %d did not answer within %s: %s", name, port, timeout, log.String())
}

// Kill kills the process (continuing it first, in case it is paused) and waits until
// it has exited.
func (p *Proc) Kill() {
	_ = p.Cmd.Process.Signal(syscall.SIGCONT)
	_ = p.Cmd.Process.Kill()
	<-p.Exited
}

// Running holds the process of a server that can be stopped and started again. It is
// safe for concurrent use.
type Running struct {
	mu   sync.Mutex
	p    *Proc // nil when stopped
	last *Proc // the latest started, kept after Stop for its log
}

// Set records p as the running process.
func (r *Running) Set(p *Proc) {
	r.mu.Lock()
	r.p, r.last = p, p
	r.mu.Unlock()
}

// Get returns the running process, nil when stopped.
func (r *Running) Get() *Proc {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.p
}

// Stop kills the running process and waits until it exited; false when none runs.
func (r *Running) Stop() bool {
	r.mu.Lock()
	p := r.p
	r.p = nil
	r.mu.Unlock()
	if p == nil {
		return false
	}
	p.Kill()
	return true
}

// Log is what the latest process wrote ("" when none started).
func (r *Running) Log() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		return ""
	}
	return r.last.Log.String()
}

// OnFreePort calls launch with a free port of 127.0.0.1 until it succeeds, at most 5
// times (the port may be taken between FreePort and the bind); then the test fails.
func OnFreePort(t testing.TB, name string, launch func(port int) error) {
	t.Helper()
	var err error
	for range 5 {
		if err = launch(FreePort(t)); err == nil {
			return
		}
	}
	t.Fatalf("%s did not start: %v", name, err)
}

// Relaunch calls launch until it succeeds, at most 50 times 50 ms apart (the socket of
// a server just stopped may linger a moment), and returns the last error.
func Relaunch(launch func() error) error {
	var err error
	for range 50 {
		if err = launch(); err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return err
}

// Buffer is a bytes.Buffer safe for concurrent use: a process's output, written by
// os/exec while the test reads it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns what was written.
func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
