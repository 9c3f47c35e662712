// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"context"
	"encoding/json"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
)

const snapshotKey = "tasker_cache_aggregate"

type storageClient = storage.Client

func openStorage(ctx context.Context, host component.Host, id component.ID, self component.ID) (storage.Client, error) {
	ext, ok := host.GetExtensions()[id]
	if !ok {
		return nil, fmt.Errorf("tasker_cache: storage extension %q not found", id)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("tasker_cache: extension %q is not a storage extension", id)
	}
	client, err := se.GetClient(ctx, component.KindProcessor, self, "")
	if err != nil {
		return nil, fmt.Errorf("tasker_cache: storage extension %q: %w", id, err)
	}
	return client, nil
}

// save writes the aggregate of a Persistent backend (memory) to the storage extension.
func (p *cacheProcessor) save(ctx context.Context) error {
	raw, err := json.Marshal(p.persist.Save())
	if err != nil {
		return err
	}
	return p.storage.Set(context.WithoutCancel(ctx), snapshotKey, raw)
}

// restore loads the aggregate saved by an earlier run.
func (p *cacheProcessor) restore(ctx context.Context) (int, error) {
	raw, err := p.storage.Get(ctx, snapshotKey)
	if err != nil || len(raw) == 0 {
		return 0, err
	}
	var saved backend.SavedState
	if err := json.Unmarshal(raw, &saved); err != nil {
		return 0, fmt.Errorf("snapshot is not readable: %w", err)
	}
	return p.persist.Restore(saved, p.now()), nil
}
