// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/extension/registryext"
	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// xmlEncoder is a third-party plugin's Encoder: it can encode the aggregate on demand
// (GET /v1/export?format=xml).
type xmlEncoder struct{}

func (xmlEncoder) Encode(ctx context.Context, _ string, md pmetric.Metrics, w io.Writer) (taskerregistry.Result, error) {
	type point struct {
		Name string `xml:"name,attr"`
	}
	var pts []point
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				pts = append(pts, point{Name: ms.At(k).Name()})
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return taskerregistry.Result{}, err
	}
	err := xml.NewEncoder(w).Encode(struct {
		XMLName xml.Name `xml:"metrics"`
		Metrics []point  `xml:"metric"`
	}{Metrics: pts})
	return taskerregistry.Result{Items: len(pts)}, err
}

func (xmlEncoder) MediaType(string) taskerregistry.MediaType {
	return taskerregistry.MediaType{ContentType: "application/xml", FileExtension: "xml"}
}

// xmlExporter is the part of a third-party exporter that deals with the registry.
type xmlExporter struct {
	id       component.ID
	registry *component.ID // the exporter's `registry:` option; nil = the only one
	handle   *taskerregistry.PluginHandle
}

// start is the exporter's component.StartFunc.
func (e *xmlExporter) start(_ context.Context, host component.Host) error {
	reg, err := taskerregistry.Find(host, e.registry)
	if err != nil {
		return err // a registry was configured but is missing or is no tasker_registry
	}
	// reg is nil when the collector runs no tasker_registry: Register then returns a
	// nil handle, whose methods do nothing.
	e.handle, err = reg.Register(taskerregistry.Plugin{
		ComponentID:    e.id,
		Kind:           component.KindExporter,
		Version:        "1.2.0",
		Description:    "Metrics as XML files",
		Formats:        []string{"xml"},
		Options:        map[string]string{"path": "./out/metrics.xml"},
		Implementation: xmlEncoder{},
	}, taskerregistry.WithShared()) // one instance per signal would share the plugin
	return err
}

// push is the exporter's push function: it reports every export.
func (e *xmlExporter) push(ctx context.Context, md pmetric.Metrics) error {
	start := time.Now()
	var buf bytes.Buffer
	res, err := xmlEncoder{}.Encode(ctx, "xml", md, &buf)
	e.handle.ReportExport(taskerregistry.ExportReport{
		Items: res.Items, Bytes: int64(buf.Len()), Duration: time.Since(start), Err: err, Signal: "metrics",
	})
	return err
}

// shutdown is the exporter's component.ShutdownFunc.
func (e *xmlExporter) shutdown(context.Context) error {
	return e.handle.Unregister()
}

// A third-party exporter registering with tasker_registry, reporting its exports, and
// being used for an on-demand export.
func Example_thirdPartyExporter() {
	// In a collector the tasker_registry extension provides the registry; here one is
	// made directly and the host is a test host without extensions.
	exp := &xmlExporter{id: component.MustNewIDWithName("xml", "files")}
	_ = exp.start(context.Background(), componenttest.NewNopHost())
	fmt.Println("without a registry, handle is nil:", exp.handle == nil)

	reg := registryext.New(registryext.Options{})
	exp.handle, _ = taskerregistry.NewRegistry(reg).Register(taskerregistry.Plugin{
		ComponentID: exp.id, Kind: component.KindExporter, Formats: []string{"XML"}, Implementation: xmlEncoder{},
	})

	md := pmetric.NewMetrics()
	md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty().SetName("task_completed_total")
	_ = exp.push(context.Background(), md)

	p, _ := reg.Get("xml/files")
	fmt.Println(p.Name, p.Formats, p.ComponentKind, "exports:", p.Stats.Exports, "items:", p.Stats.Items)
	fmt.Println("formats:", reg.Formats())
	_ = exp.shutdown(context.Background())
	fmt.Println("formats after shutdown:", reg.Formats())
	// Output:
	// without a registry, handle is nil: true
	// xml/files [xml] exporter exports: 1 items: 1
	// formats: [prometheus xml]
	// formats after shutdown: [prometheus]
}

// staticSource stands for the tasker_cache processor's aggregate.
type staticSource struct{ md pmetric.Metrics }

func (s staticSource) Snapshot(context.Context) (pmetric.Metrics, error) { return s.md, nil }

func (s staticSource) Info() taskerregistry.SourceInfo {
	return taskerregistry.SourceInfo{Strategy: "local_only", SeriesCount: s.md.DataPointCount()}
}

// The tasker_cache processor registers its aggregate as the metrics source and reports
// its syncs; the registry then exports it on demand.
func ExampleRegistry_RegisterMetricsSource() {
	reg := registryext.New(registryext.Options{})
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("task_completed")
	s := m.SetEmptySum()
	s.SetIsMonotonic(true)
	s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	s.DataPoints().AppendEmpty().SetIntValue(42)

	src, _ := reg.RegisterMetricsSource(taskerregistry.SourceRegistration{
		ComponentID: component.MustNewID("tasker_cache"),
		Source:      staticSource{md: md},
	})
	src.ReportCacheSync(taskerregistry.CacheSync{Strategy: "local_only", SeriesCount: 1, Duration: 2 * time.Millisecond})

	res, _ := reg.Export(context.Background(), registryext.ExportRequest{Format: "prometheus"})
	fmt.Print(string(res.Data))
	for _, e := range reg.Events(registryext.EventQuery{}).Events {
		fmt.Println(e.Sequence, e.Name)
	}
	_ = src.Unregister()
	// Output:
	// # HELP task_completed_total Tasker counter metric: task_completed
	// # TYPE task_completed_total counter
	// task_completed_total 42
	// 1 tasker.telemetry.plugin_registered
	// 2 tasker.telemetry.cache_synced
	// 3 tasker.telemetry.export_requested
	// 4 tasker.telemetry.export_completed
}
