// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// noBounds is the (read-only) empty bounds slice of number data points: the zero
// pcommon.Float64Slice has no backing state and panics on use.
var noBounds = pcommon.NewFloat64Slice()

// describer builds the descriptor of the point being merged (see walk), and the ID
// and descriptor of its metric's overflow series.
type describer struct {
	ident    *series.Identifier
	scope    *series.Scope
	mt       *series.Metric
	res      pcommon.Resource
	is       pcommon.InstrumentationScope
	m        pmetric.Metric
	attrs    pcommon.Map
	bounds   pcommon.Float64Slice
	overflow pcommon.Map
	force    bool // the point goes to the overflow series: admitted whatever max_series
}

// Template is describe as pdata (the memory backend keeps it so): the backend.Describer
// of the point's update.
func (d *describer) Template() (*series.Template, error) {
	return d.ident.Template(d.scope, d.mt, d.res, d.is, d.m, d.attrs, d.bounds)
}

func (d *describer) describe() ([]byte, error) {
	return d.ident.Descriptor(d.scope, d.mt, d.res, d.is, d.m, d.attrs, d.bounds)
}

// overflowSeries returns the ID and descriptor of the overflow series of the point's
// metric.
func (d *describer) overflowSeries() (series.ID, []byte, error) {
	desc, err := d.ident.Descriptor(d.scope, d.mt, d.res, d.is, d.m, d.overflow, d.bounds)
	return d.ident.Point(d.mt, d.overflow, d.bounds), desc, err
}
