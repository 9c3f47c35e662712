// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package storageclient

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

type host map[component.ID]component.Component

func (h host) GetExtensions() map[component.ID]component.Component { return h }

// fakeStorage records the client asked for.
type fakeStorage struct {
	component.StartFunc
	component.ShutdownFunc
	kind component.Kind
	id   component.ID
	err  error
}

func (f *fakeStorage) GetClient(_ context.Context, kind component.Kind, id component.ID, _ string) (storage.Client, error) {
	f.kind, f.id = kind, id
	if f.err != nil {
		return nil, f.err
	}
	return storage.NewNopClient(), nil
}

func TestGet(t *testing.T) {
	ctx := context.Background()
	self := component.MustNewIDWithName("tasker_cache", "x")
	st := component.MustNewID("file_storage")
	other := component.MustNewID("health_check")
	fs := &fakeStorage{}
	h := host{st: fs}
	h[other] = struct {
		component.StartFunc
		component.ShutdownFunc
	}{}

	c, err := Get(ctx, h, nil, component.KindProcessor, self)
	require.NoError(t, err)
	require.NotNil(t, c)
	assert.Zero(t, fs.id, "no storage configured: nothing asked")

	c, err = Get(ctx, h, &st, component.KindProcessor, self)
	require.NoError(t, err)
	require.NotNil(t, c)
	assert.Equal(t, component.KindProcessor, fs.kind)
	assert.Equal(t, self, fs.id, "the component's own id, not renamed")

	missing := component.MustNewIDWithName("file_storage", "nope")
	_, err = Get(ctx, h, &missing, component.KindReceiver, self)
	assert.EqualError(t, err, `storage extension "file_storage/nope" not found`)
	_, err = Get(ctx, h, &other, component.KindReceiver, self)
	assert.EqualError(t, err, `extension "health_check" is not a storage extension`)
	fs.err = errors.New("locked")
	_, err = Get(ctx, h, &st, component.KindReceiver, self)
	assert.EqualError(t, err, `storage extension "file_storage": locked`)
}
