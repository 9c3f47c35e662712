// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

//go:build !linux

package filewriter

// pageRecycler hands written pages back to the kernel on Linux (recycle_linux.go);
// elsewhere it does nothing.
type pageRecycler struct{}

func (*pageRecycler) wrote(int, int64) {}

func (*pageRecycler) opened(int64) {}
