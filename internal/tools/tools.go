//go:build tools

// Package tools pins the build tools the Makefile installs into ./bin:
// the collector builder (ocb), mdatagen and telemetrygen.
package tools

import (
	_ "github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen"
	_ "go.opentelemetry.io/collector/cmd/builder"
	_ "go.opentelemetry.io/collector/cmd/mdatagen"
)
