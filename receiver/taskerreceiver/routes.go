// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"hash/fnv"
	"math"

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
}

func newRouter(cfgs []RouteConfig) (*router, error) {
	r := &router{}
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
// by sampling).
func (r *router) decide(ev *tasker.Event) tasker.Signals {
	for i := range r.routes {
		rt := &r.routes[i]
		if !rt.match(ev.Name) {
			continue
		}
		if rt.drop {
			return 0
		}
		if rt.hasRate && !sampled(ev, rt.rate) {
			return 0
		}
		return rt.signals
	}
	return allSignals
}

// sampled decides deterministically per task id (else correlation id, else event
// name and time), so that a task's events are kept or dropped together, on every
// replica alike.
func sampled(ev *tasker.Event, rate float64) bool {
	if rate >= 1 {
		return true
	}
	if rate <= 0 {
		return false
	}
	h := fnv.New64a()
	switch {
	case ev.TaskID != "":
		_, _ = h.Write([]byte(ev.TaskID))
	case ev.CorrelationID != "":
		_, _ = h.Write([]byte(ev.CorrelationID))
	default:
		_, _ = h.Write([]byte(ev.Name))
		_, _ = h.Write([]byte(ev.Time.String()))
	}
	// Top 53 bits to a float in [0, 1).
	x := float64(h.Sum64()>>11) / float64(uint64(1)<<53)
	return x < rate && !math.IsNaN(x)
}
