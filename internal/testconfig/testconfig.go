// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package testconfig loads the sections of a component's testdata/config.yaml in its
// tests, as the collector does: over the factory's default configuration.
package testconfig // import "github.com/tasker-systems/otelcol-tasker/internal/testconfig"

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

// Load unmarshals the section "<typ>/<name>" of testdata/config.yaml (just "<typ>" when
// name is empty) into def, the factory's default configuration, and returns it. It
// does not validate: callers check Validate themselves, errors included.
func Load[C any](t testing.TB, typ component.Type, name string, def C) C {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(typ, name).String())
	require.NoError(t, err)
	require.NoError(t, sub.Unmarshal(def))
	return def
}
