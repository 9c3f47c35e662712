// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml

// Package registryext implements the tasker_registry extension: the plugin registry of
// Tasker's telemetry design (PluginRegistry, ExportCoordinator, InterfaceValidator) in Go.
//
// Components find the registry from Start with [Find], register as a [Plugin] (exporters)
// or as a [MetricsSource] (the tasker_cache processor), and report their exports and
// cache syncs through the handles they get back. The registry keeps lifecycle events with
// Tasker's names in a bounded ring, encodes the aggregate on demand with the first plugin
// of a format that succeeds, and serves all of it over HTTP, including /metrics in valid
// Prometheus text exposition format (the built-in "prometheus" plugin).
//
// This is the only package of the distribution that other components import.
package registryext // import "github.com/tasker-systems/otelcol-tasker/extension/registryext"
