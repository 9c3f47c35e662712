// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package backend_test

import (
	"testing"
	"time"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend/backendtest"
)

func TestMemoryConformance(t *testing.T) {
	backendtest.Run(t, func(_ *testing.T, retention time.Duration) backend.Backend {
		return backend.NewMemory(retention)
	})
}
