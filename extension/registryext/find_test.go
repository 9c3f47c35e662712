// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
)

type fakeHost struct {
	component.Host
	exts map[component.ID]component.Component
}

func (h fakeHost) GetExtensions() map[component.ID]component.Component { return h.exts }

type provider struct {
	component.StartFunc
	component.ShutdownFunc
	r *Registry
}

func (p provider) Registry() *Registry { return p.r }

type otherExt struct {
	component.StartFunc
	component.ShutdownFunc
}

func TestFind(t *testing.T) {
	a, b := New(Options{}), New(Options{})
	idA := component.MustNewID("tasker_registry")
	idB := component.MustNewIDWithName("tasker_registry", "b")
	other := component.MustNewID("health_check")

	// No registry: nil, no error.
	r, err := Find(componenttest.NewNopHost(), nil)
	require.NoError(t, err)
	assert.Nil(t, r)
	r, err = Find(nil, nil)
	require.NoError(t, err)
	assert.Nil(t, r)
	_, err = Find(nil, &idA)
	require.Error(t, err)

	one := fakeHost{exts: map[component.ID]component.Component{idA: provider{r: a}, other: otherExt{}}}
	r, err = Find(one, nil)
	require.NoError(t, err)
	assert.Same(t, a, r)
	r, err = Find(one, &idA)
	require.NoError(t, err)
	assert.Same(t, a, r)

	// Configured id missing.
	_, err = Find(one, &idB)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `registry "tasker_registry/b": no such extension is running`)

	// Configured id of the wrong type.
	_, err = Find(one, &other)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `registry "health_check": extension is a registryext.otherExt, not a tasker_registry extension`)

	// Several: ambiguous unless chosen.
	two := fakeHost{exts: map[component.ID]component.Component{idA: provider{r: a}, idB: provider{r: b}}}
	_, err = Find(two, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "several tasker_registry extensions are running (tasker_registry, tasker_registry/b)")
	r, err = Find(two, &idB)
	require.NoError(t, err)
	assert.Same(t, b, r)

	// The real extension is a Provider.
	ext, err := newExtension(createDefaultConfig().(*Config), extensionSettings())
	require.NoError(t, err)
	real := fakeHost{exts: map[component.ID]component.Component{idA: ext}}
	r, err = Find(real, &idA)
	require.NoError(t, err)
	assert.Same(t, ext.Registry(), r)
	require.NoError(t, ext.Shutdown(t.Context()))
}
