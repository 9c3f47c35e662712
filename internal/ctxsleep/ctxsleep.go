// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package ctxsleep waits for a duration or until a context is done.
package ctxsleep

import (
	"context"
	"time"
)

// Sleep waits d, or less when ctx is done first; it returns ctx.Err() then, else nil.
// A d <= 0 does not wait.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
