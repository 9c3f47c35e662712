// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml

// Package registryext implements the tasker_registry extension: the plugin registry of
// Tasker's telemetry design (PluginRegistry, ExportCoordinator, InterfaceValidator) in Go.
//
// The contract components use lives in pkg/taskerregistry: they find the registry from
// Start with taskerregistry.Find, register as a taskerregistry.Plugin (exporters) or as a
// taskerregistry.MetricsSource (the tasker_cache processor), and report their exports
// and cache syncs through the handles they get back. The extension implements
// taskerregistry.Provider and taskerregistry.Service ([Registry]). The registry keeps lifecycle events with
// Tasker's names in a bounded ring, encodes the aggregate on demand with the first plugin
// of a format that succeeds, and serves all of it over HTTP, including /metrics in valid
// Prometheus text exposition format (the built-in "prometheus" plugin).
//
// No component imports this package (internal/archtest checks it); only tests do,
// through registrytest, to run a real registry.
package registryext // import "github.com/tasker-systems/otelcol-tasker/extension/registryext"
