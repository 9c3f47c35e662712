// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"golang.org/x/net/html"

	"github.com/tasker-systems/otelcol-tasker/extension/registryext"
	"github.com/tasker-systems/otelcol-tasker/extension/registryext/registrytest"
	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// cacheSource stands for tasker_cache on Redis: a strategy, capabilities and a lock holder.
type cacheSource struct{ registrytest.StaticSource }

func (s cacheSource) Info() taskerregistry.SourceInfo {
	return taskerregistry.SourceInfo{
		Strategy:     "distributed_atomic",
		Capabilities: taskerregistry.Capabilities{Distributed: true, AtomicIncrement: true, Locking: true, TTL: true},
		SeriesCount:  s.MD.DataPointCount(), LockHolder: "web-1-4242",
	}
}

// statusAggregate: task counters of growing values (the largest is "task_9"), a
// histogram, and a gauge.
func statusAggregate() pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "tasker")
	rm.Resource().Attributes().PutStr("service.instance.id", "web-1")
	ms := rm.ScopeMetrics().AppendEmpty().Metrics()
	m := ms.AppendEmpty()
	m.SetName("tasker.task.completed")
	s := m.SetEmptySum()
	s.SetIsMonotonic(true)
	s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for i := 0; i < 12; i++ {
		dp := s.DataPoints().AppendEmpty()
		dp.SetIntValue(int64(100 * (i % 10)))
		dp.Attributes().PutStr("tasker.task.name", fmt.Sprintf("task_%d", i))
	}
	h := ms.AppendEmpty()
	h.SetName("tasker.step.duration")
	hist := h.SetEmptyHistogram()
	hist.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	hp := hist.DataPoints().AppendEmpty()
	hp.SetCount(950)
	hp.SetSum(12.5)
	ms.AppendEmpty().SetName("queue_depth")
	ms.At(2).SetEmptyGauge().DataPoints().AppendEmpty().SetDoubleValue(-3)
	return md
}

// startStatus starts the extension with a source, two plugins and their reports.
func startStatus(t *testing.T) (base string, reg *registryext.Registry) {
	t.Helper()
	f := registryext.NewFactory()
	cfg := f.CreateDefaultConfig().(*registryext.Config)
	cfg.ServerConfig.NetAddr.Endpoint = "127.0.0.1:0"
	set := extensiontest.NewNopSettings(f.Type())
	set.BuildInfo.Version = "0.1.0-test"
	ext, err := f.Create(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) })
	host := registrytest.Host{Host: componenttest.NewNopHost(), Exts: map[component.ID]component.Component{set.ID: ext}}
	reg = registrytest.Registry(t, host, set.ID)

	src, err := reg.RegisterMetricsSource(taskerregistry.SourceRegistration{ComponentID: component.MustNewID("tasker_cache"), Source: cacheSource{registrytest.StaticSource{MD: statusAggregate()}}})
	require.NoError(t, err)
	src.ReportCacheSync(taskerregistry.CacheSync{SeriesCount: 14, Duration: 3 * time.Millisecond, LockHolder: "web-1-4242"})
	csv, err := reg.Register(taskerregistry.Plugin{ComponentID: component.MustNewIDWithName("tasker_csv", "files"), Kind: component.KindExporter,
		Version: "0.1.0", Description: "Tasker CSV files", Formats: []string{"csv"}})
	require.NoError(t, err)
	csv.ReportExport(taskerregistry.ExportReport{Items: 14, Bytes: 2048, Duration: time.Millisecond, Signal: "metrics"})
	csv.ReportExport(taskerregistry.ExportReport{Err: errors.New("write out/csv/metrics.csv: no space left on device"), Signal: "metrics"})
	_, err = reg.Export(context.Background(), registryext.ExportRequest{Format: "prometheus"})
	require.NoError(t, err)

	return "http://" + ext.(interface{ Addr() net.Addr }).Addr().String() + "/", reg
}

func TestStatusPageInChromium(t *testing.T) {
	base, _ := startStatus(t)

	// The raw answer: HTML, a CSP that allows no request, no reference to anything outside.
	resp, err := http.Get(base)
	require.NoError(t, err)
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode, string(raw))
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'")
	for _, ref := range []string{"src=", "href=", "url(", "@import"} {
		assert.NotContains(t, string(raw), ref, "the page must make no request")
	}

	doc := registrytest.DOM(t, base)
	body := registrytest.Find(doc, "body")
	require.Len(t, body, 1)
	assert.Equal(t, "browser", registrytest.Attr(body[0], "data-rendered"), "the page's script ran")
	meta := registrytest.Find(doc, "meta", "http-equiv", "refresh")
	require.Len(t, meta, 1)
	assert.Equal(t, "10", registrytest.Attr(meta[0], "content"))

	field := func(row []*html.Node, name string) string {
		t.Helper()
		require.Len(t, row, 1)
		cells := registrytest.Find(row[0], "td", "data-field", name)
		require.Len(t, cells, 1, name)
		return registrytest.Text(cells[0])
	}
	csv := registrytest.Find(doc, "tr", "data-plugin", "tasker_csv/files")
	assert.Equal(t, "1", field(csv, "exports"))
	assert.Equal(t, "1", field(csv, "failures"))
	assert.Equal(t, "14", field(csv, "items"))
	assert.Equal(t, "2.0 KiB", field(csv, "bytes"))
	assert.Contains(t, field(csv, "last_error"), "no space left on device")
	prom := registrytest.Find(doc, "tr", "data-plugin", registryext.PrometheusPluginName)
	assert.Equal(t, "1", field(prom, "exports"))
	assert.Len(t, registrytest.Find(doc, "tr", "data-format", "csv"), 1)
	assert.Len(t, registrytest.Find(doc, "tr", "data-format", "prometheus"), 1)

	src := registrytest.Find(doc, "tr", "data-source", "tasker_cache")
	assert.Equal(t, "distributed_atomic", field(src, "strategy"))
	assert.Equal(t, "web-1-4242", field(src, "lock_holder"))
	assert.Equal(t, "distributed atomic_increment locking ttl", field(src, "capabilities"))

	// The largest series: the histogram's count (950), then the counters of 900.
	top := registrytest.Find(doc, "section", "id", "top-tasker_cache")
	require.Len(t, top, 1)
	rows := registrytest.Find(top[0], "tr", "")
	rows = rows[1:] // header
	require.Len(t, rows, 10)
	assert.Equal(t, "tasker.step.duration", registrytest.Attr(rows[0], "data-metric"))
	assert.Contains(t, registrytest.Text(rows[1]), "tasker.task.name=task_9")
	assert.Contains(t, registrytest.Text(rows[1]), "900")
	assert.Contains(t, registrytest.Text(top[0]), "of 14")

	// Latest events, newest first.
	evs := registrytest.Find(registrytest.Find(doc, "section", "id", "events")[0], "tr", "")[1:]
	var names []string
	for _, r := range evs {
		names = append(names, registrytest.Attr(r, "data-event"))
	}
	assert.Equal(t, []string{"export_completed", "export_requested", "export_failed", "export_completed", "plugin_registered", "cache_synced", "plugin_registered"}, names)

	png := registrytest.Screenshot(t, base, "status-page-unit")
	b, err := os.ReadFile(png)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(b), "\x89PNG"), png)
}
