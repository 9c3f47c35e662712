// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml

// Package cacheprocessor implements the tasker_cache processor: it aggregates metrics per
// series in a cache (memory, Redis or memcached), expires stale series by TTL, and
// coordinates exports so that exactly one collector replica exports each interval.
package cacheprocessor // import "github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor"
