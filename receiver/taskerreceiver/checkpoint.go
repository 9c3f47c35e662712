// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"context"
	"sync/atomic"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/operator"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// heldPersister is the fileconsumer's checkpoint store, which can be held: the
// stanza fileconsumer (v0.160.0, reader.readContents) moves a file's offset past a
// batch whatever the emit callback returns, and saves the offsets after every poll and
// at Stop. emitLines retries a refused batch until the pipeline takes it, so offsets
// only pass lines that were written; but when the receiver stops while a batch is
// still refused, that batch is not written and its offset would be saved. hold() then
// freezes the checkpoints at the last one saved before it — every line after it is
// read again at the next start (at-least-once: lines written after that checkpoint
// repeat), none is lost.
type heldPersister struct {
	operator.Persister
	held atomic.Bool
}

func (p *heldPersister) hold() { p.held.Store(true) }

func (p *heldPersister) Set(ctx context.Context, key string, value []byte) error {
	if p.held.Load() {
		return nil
	}
	return p.Persister.Set(ctx, key, value)
}

func (p *heldPersister) Delete(ctx context.Context, key string) error {
	if p.held.Load() {
		return nil
	}
	return p.Persister.Delete(ctx, key)
}

func (p *heldPersister) Batch(ctx context.Context, ops ...*storage.Operation) error {
	if !p.held.Load() {
		return p.Persister.Batch(ctx, ops...)
	}
	// Reads still answer; writes are dropped.
	var gets []*storage.Operation
	for _, op := range ops {
		if op.Type == storage.Get {
			gets = append(gets, op)
		}
	}
	if len(gets) == 0 {
		return nil
	}
	return p.Persister.Batch(ctx, gets...)
}
