// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package taskerregistry is the contract between the distribution's components and the
// tasker_registry extension (the plugin registry of Tasker's telemetry design:
// PluginRegistry, ExportCoordinator, InterfaceValidator).
//
// Components import this package, never the extension: they find the registry from
// Start with [Find], register as a [Plugin] (the file exporters) or as a [MetricsSource]
// (the tasker_cache processor), and report their exports and cache syncs through the
// handles they get back. The extension (extension/registryext) implements [Service] and
// [Provider]; the dependency arrows run one way:
//
//	components → pkg/taskerregistry ← extension/registryext
//
// A component that found no registry gets a nil *Registry, whose Register returns nil
// handles; every method of a nil handle does nothing, so such a component needs no checks.
package taskerregistry // import "github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
