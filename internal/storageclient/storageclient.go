// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package storageclient finds a component's storage client (the `storage:` option naming
// a file_storage or other storage extension), for the receiver's file checkpoints and
// tasker_cache's saved aggregate.
//
// Not contrib's pkg/stanza/adapter.GetStorageClient: it always asks for a receiver's
// client and renames the component (underscores removed from the type) before asking,
// which would move the keys already stored by this distribution's components.
package storageclient // import "github.com/tasker-systems/otelcol-tasker/internal/storageclient"

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// Get returns the client of storage extension id for component self of the given kind;
// a nop client (storage.NewNopClient) when id is nil. The errors carry no component
// prefix: the caller adds its own.
func Get(ctx context.Context, host component.Host, id *component.ID, kind component.Kind, self component.ID) (storage.Client, error) {
	if id == nil {
		return storage.NewNopClient(), nil
	}
	ext, ok := host.GetExtensions()[*id]
	if !ok {
		return nil, fmt.Errorf("storage extension %q not found", id)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("extension %q is not a storage extension", id)
	}
	client, err := se.GetClient(ctx, kind, self, "")
	if err != nil {
		return nil, fmt.Errorf("storage extension %q: %w", id, err)
	}
	return client, nil
}
