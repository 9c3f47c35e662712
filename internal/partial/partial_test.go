// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package partial

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

var services = []string{"billing", "shipping", "audit"}

func metrics() pmetric.Metrics {
	md := pmetric.NewMetrics()
	for _, s := range services {
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr("service.name", s)
		m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		m.SetName(s + ".count")
		m.SetEmptyGauge().DataPoints().AppendEmpty().SetIntValue(1)
	}
	return md
}

func logs() plog.Logs {
	ld := plog.NewLogs()
	for _, s := range services {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("service.name", s)
		rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr(s)
	}
	return ld
}

func traces() ptrace.Traces {
	td := ptrace.NewTraces()
	for _, s := range services {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", s)
		rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty().SetName(s)
	}
	return td
}

func service(r pcommon.Resource) string {
	v, _ := r.Attributes().Get("service.name")
	return v.Str()
}

func notBilling(r pcommon.Resource) bool { return service(r) != "billing" }

// resourceNames lists the service names of a batch's resources, in order.
func resourceNames[T Signal](data T) []string {
	var out []string
	switch d := any(data).(type) {
	case pmetric.Metrics:
		for _, r := range d.ResourceMetrics().All() {
			out = append(out, service(r.Resource()))
		}
	case plog.Logs:
		for _, r := range d.ResourceLogs().All() {
			out = append(out, service(r.Resource()))
		}
	case ptrace.Traces:
		for _, r := range d.ResourceSpans().All() {
			out = append(out, service(r.Resource()))
		}
	}
	return out
}

func TestPickAndSelect(t *testing.T) {
	md, ld, td := metrics(), logs(), traces()

	assert.Equal(t, []string{"audit", "billing"}, resourceNames(Pick(md, []int{2, 0})), "in the order given")
	assert.Equal(t, []string{"shipping"}, resourceNames(Pick(ld, []int{1})))
	assert.Empty(t, resourceNames(Pick(td, nil)))

	assert.Equal(t, []string{"shipping", "audit"}, resourceNames(Select(md, notBilling)))
	assert.Equal(t, []string{"shipping", "audit"}, resourceNames(Select(ld, notBilling)))
	assert.Equal(t, []string{"shipping", "audit"}, resourceNames(Select(td, notBilling)))

	// Copies: the input is untouched and the contents came along.
	got := Select(md, notBilling)
	assert.Equal(t, 3, md.ResourceMetrics().Len())
	assert.Equal(t, "shipping.count", got.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Name())
	assert.Equal(t, 2, Select(ld, notBilling).LogRecordCount())
	assert.Equal(t, "audit", Select(td, notBilling).ResourceSpans().At(1).ScopeSpans().At(0).Spans().At(0).Name())
}
