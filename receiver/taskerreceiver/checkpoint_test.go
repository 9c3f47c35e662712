// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/tasker-systems/otelcol-tasker/receiver/taskerreceiver/internal/metadata"
)

// TestFilesCheckpointHeldWhilePipelineRefuses: the receiver is stopped while the
// pipeline still refuses lines. The checkpoint stays where the last written line
// was, so the next start reads the refused lines again: none is lost, and the
// lines written before are not repeated.
func TestFilesCheckpointHeldWhilePipelineRefuses(t *testing.T) {
	dir, storeDir := t.TempDir(), t.TempDir()
	id := storagetest.NewStorageID("files")
	host := storagetest.NewStorageHost().WithExtension(id, storagetest.NewFileBackedStorageExtension("files", storeDir))
	path := filepath.Join(dir, "app.log")
	var lines []string
	for i := range 15 {
		lines = append(lines, jsonLine(i))
	}
	appendLines(t, path, lines[:10]...)
	sink := new(consumertest.LogsSink)
	runFiles(t, fileConfig(dir, &id), host, sink, 10)
	require.Equal(t, 10, sink.LogRecordCount())

	// Five more lines, refused until the receiver stops.
	appendLines(t, path, lines[10:]...)
	cfg := fileConfig(dir, &id)
	cfg.Logs.Get().RetryOnFailure.InitialInterval = 10 * time.Millisecond
	refusing := &flakyLogs{}
	refusing.fail.Store(1 << 30)
	set := receivertest.NewNopSettings(metadata.Type)
	set.ID = component.NewIDWithName(metadata.Type, "files")
	r, err := NewFactory().CreateLogs(context.Background(), set, cfg, refusing)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), host))
	require.Eventually(t, func() bool { return refusing.fail.Load() < 1<<30-3 }, 5*time.Second, 10*time.Millisecond, "refused and retried")
	time.Sleep(100 * time.Millisecond) // polls go on while the batch is refused
	require.NoError(t, r.Shutdown(context.Background()))
	assert.Zero(t, refusing.LogRecordCount())

	// The next start gets exactly the five refused lines.
	sink = new(consumertest.LogsSink)
	runFiles(t, fileConfig(dir, &id), host, sink, 5)
	assert.Equal(t, 5, sink.LogRecordCount(), "the refused lines, once; none of the first ten again")
}
