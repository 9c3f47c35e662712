// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

//go:build linux

// Package testfs gives tests real file-system faults: a small tmpfs that fills up,
// and files made immutable (chattr +i) so that even root cannot write them. Both
// need root (CAP_SYS_ADMIN, CAP_LINUX_IMMUTABLE): without it a test is skipped,
// except under CI=true, where it fails.
package testfs // import "github.com/tasker-systems/otelcol-tasker/internal/testfs"

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// Tmpfs mounts a tmpfs of size bytes on a new temporary directory and returns it;
// it is unmounted when the test ends.
func Tmpfs(t testing.TB, size int64) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0755", size)); err != nil {
		unavailable(t, "mounting a tmpfs", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmounting the tmpfs %s: %v", dir, err)
		}
	})
	return dir
}

// Immutable sets (on) or clears the immutable attribute of path with chattr. A
// file that is immutable cannot be written, truncated, renamed or removed, and a
// directory gets no new entries, whatever the permissions; open descriptors fail
// their writes with EPERM. The attribute is cleared when the test ends.
func Immutable(t testing.TB, path string, on bool) {
	t.Helper()
	flag := "-i"
	if on {
		flag = "+i"
	}
	out, err := exec.Command("chattr", flag, path).CombinedOutput()
	if err != nil {
		unavailable(t, "chattr "+flag+" "+path+": "+strings.TrimSpace(string(out)), err)
	}
	if on {
		t.Cleanup(func() { _ = exec.Command("chattr", "-i", path).Run() })
	}
}

// Fill creates a file in dir that takes all its free space but keep bytes and
// returns its path; removing it frees the space again.
func Fill(t testing.TB, dir string, keep int64) string {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatalf("statfs %s: %v", dir, err)
	}
	free := int64(st.Bavail) * st.Bsize
	name := dir + "/.fill"
	f, err := os.Create(name)
	if err != nil {
		t.Fatalf("creating %s: %v", name, err)
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for n := free - keep; n > 0; n -= int64(len(chunk)) {
		_, err := f.Write(chunk[:min(n, int64(len(chunk)))])
		if errors.Is(err, syscall.ENOSPC) {
			break // others write too: running out of space first is what we want
		}
		if err != nil {
			t.Fatalf("filling %s: %v", dir, err)
		}
	}
	return name
}

func unavailable(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s: %v (the fault tests need root; under CI=true they must run)", what, err)
	}
	t.Skipf("%s: %v (needs root)", what, err)
}
