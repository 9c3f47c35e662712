// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package ctxsleep

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSleep(t *testing.T) {
	start := time.Now()
	if err := Sleep(context.Background(), 20*time.Millisecond); err != nil || time.Since(start) < 20*time.Millisecond {
		t.Fatalf("Sleep = %v after %v, want nil after >= 20ms", err, time.Since(start))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	start = time.Now()
	if err := Sleep(ctx, time.Minute); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 10*time.Second {
		t.Fatalf("Sleep = %v after %v, want the context's error at once", err, time.Since(start))
	}
	if err := Sleep(ctx, -1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Sleep(done, -1) = %v, want the context's error", err)
	}
}
