// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package fileexport is what the file exporters (tasker_json, tasker_csv) share: the
// common part of their configuration (the file output, timeout, sending queue, retry
// and the tasker_registry option), the lifecycle of one signal's exporter (register with
// tasker_registry and open the output at start, report every export, unregister and close
// at shutdown), the part of a batch handed back for retry, and the factory's wiring.
// Each exporter keeps its codec, its options and how it splits a batch into files.
//
// Like every internal package it imports no component: the exporters pass in what is
// theirs (component type, telemetry, registry plugin).
package fileexport // import "github.com/tasker-systems/otelcol-tasker/internal/fileexport"
