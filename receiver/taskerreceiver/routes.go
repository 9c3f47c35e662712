// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"github.com/cespare/xxhash/v2"

	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
)

// allSignals is where an event goes when no route matches.
const allSignals = tasker.SignalLogs | tasker.SignalTraces | tasker.SignalMetrics

type route struct {
	match    matcher
	signals  tasker.Signals
	rate     float64
	drop     bool
	hasRate  bool
	original string
}

// router is the port of Tasker's EventRouter: first match wins.
type router struct {
	routes []route
	source string // the ids' namespace: part of the sampling key
}

// newRouter compiles the routes; source (the receiver's `source`) is part of every
// sampling key, with the event's deployment, as it is of the ids.
func newRouter(cfgs []RouteConfig, source string) (*router, error) {
	r := &router{source: source}
	for _, c := range cfgs {
		m, err := compileMatch(c.Match)
		if err != nil {
			return nil, err
		}
		rt := route{match: m, drop: c.Drop, rate: 1, original: c.Match}
		if len(c.Signals) == 0 {
			rt.signals = allSignals
		}
		for _, s := range c.Signals {
			switch s {
			case signalLogs:
				rt.signals |= tasker.SignalLogs
			case signalTraces:
				rt.signals |= tasker.SignalTraces
			case signalMetrics:
				rt.signals |= tasker.SignalMetrics
			}
		}
		if c.SamplingRate != nil {
			rt.rate, rt.hasRate = *c.SamplingRate, true
		}
		r.routes = append(r.routes, rt)
	}
	return r, nil
}

// decide returns the signals the event goes to; 0 means dropped (by a drop route or
// by sampling). dep is the event's deployment.
func (r *router) decide(ev *tasker.Event, dep string) tasker.Signals {
	for i := range r.routes {
		rt := &r.routes[i]
		if !rt.match(ev.Name) {
			continue
		}
		if rt.drop {
			return 0
		}
		if rt.hasRate && !sampledIn(ev, r.source, dep, rt.rate) {
			return 0
		}
		return rt.signals
	}
	return allSignals
}

// sampled decides deterministically per task id (else correlation id, else event
// name and time), so that a task's events are kept or dropped together, on every
// replica and in every run alike. The key goes through xxhash64 and a splitmix64
// finaliser: Tasker's ids are consecutive integers, and a hash that does not mix its
// last input bytes (FNV-1a of a short string did not) keeps all or nothing of any
// window of consecutive ids instead of the configured share.
func sampled(ev *tasker.Event, rate float64) bool { return sampledIn(ev, "", "", rate) }

// sampledIn is sampled with the task id qualified by (source, deployment), so that two
// installations or deployments whose task ids overlap decide independently; the
// decision for a task stays the same on every replica and in every run.
func sampledIn(ev *tasker.Event, source, dep string, rate float64) bool {
	if rate >= 1 {
		return true
	}
	if !(rate > 0) { // also NaN
		return false
	}
	var h uint64
	switch {
	case ev.TaskID != "" && source == "" && dep == "":
		h = xxhash.Sum64String(ev.TaskID)
	case ev.TaskID != "":
		var d xxhash.Digest
		d.Reset()
		_, _ = d.WriteString(source)
		_, _ = d.WriteString("\x00")
		_, _ = d.WriteString(dep)
		_, _ = d.WriteString("\x00")
		_, _ = d.WriteString(ev.TaskID)
		h = d.Sum64()
	case ev.CorrelationID != "":
		h = xxhash.Sum64String(ev.CorrelationID) ^ 0x9e3779b97f4a7c15
	default:
		var d xxhash.Digest
		d.Reset()
		_, _ = d.WriteString(ev.Name)
		_, _ = d.WriteString("\x00")
		_, _ = d.WriteString(ev.Time.UTC().Format("2006-01-02T15:04:05.999999999Z"))
		h = d.Sum64()
	}
	// Top 53 bits of the mixed hash as a float in [0, 1).
	return float64(mix64(h)>>11)/float64(uint64(1)<<53) < rate
}

// mix64 is splitmix64's finaliser: every input bit affects every output bit.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
