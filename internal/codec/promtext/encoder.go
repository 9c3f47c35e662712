// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package promtext

import (
	"context"
	"io"
	"sync"

	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// The format, its media types and the target_info family.
const (
	// Format is the registry format the encoder serves.
	Format = "prometheus"
	// ContentType is the text exposition format 0.0.4.
	ContentType = "text/plain; version=0.0.4; charset=utf-8"
	// OpenMetricsContentType is what GET /metrics answers when the Accept header asks for
	// application/openmetrics-text.
	OpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8"
	FileExtension          = "prom"
	// TargetInfoName is the family of one series per resource (OpenMetrics / OpenTelemetry
	// convention) whose labels are the resource's attributes.
	TargetInfoName = "target_info"
)

// Reasons a point is left out of the Prometheus output (Result.DroppedByReason).
const (
	DropUnsupported     = "unsupported_type"    // delta histogram, exponential histogram, empty metric type or value
	DropNoName          = "no_name"             // a metric without a name
	DropTypeConflict    = "type_conflict"       // the family name is taken by a metric of another type
	DropNameClash       = "name_clash"          // named like a histogram's or summary's _sum/_count/_bucket
	DropNoRecordedValue = "no_recorded_value"   // a point flagged no-recorded-value
	DropMalformed       = "malformed_histogram" // bucket counts do not match the bounds, bounds not increasing
	DropDuplicate       = "duplicate_series"    // same family and labels even with the resources' attributes
)

// Options configure the Prometheus encoder. The zero value is the default.
type Options struct {
	// NoJobInstanceLabels leaves out the job and instance labels taken from the resource
	// (job = service.namespace/service.name or service.name, instance = service.instance.id).
	NoJobInstanceLabels bool
	// ResourceAttributes are resource attributes copied to every series of the resource as
	// labels (sanitised names), e.g. host.name → host_name.
	ResourceAttributes []string
	// NoTargetInfo leaves out the target_info series.
	NoTargetInfo bool
}

// Encoder encodes pmetric.Metrics in the Prometheus text exposition format
// 0.0.4, or in OpenMetrics 1.0.0 for GET /metrics when the scraper asks for it, byte for
// byte as prometheus/common/expfmt writes the same families (tested), but straight from
// pdata (measured faster; see the package doc). It is the Encoder of the built-in
// prometheus plugin and can be used on its own; it is safe for concurrent use.
//
// Mapping (see the README for the full table): gauges → gauge; cumulative monotonic sums
// → counter named <name>_total; non-monotonic sums → gauge; delta monotonic sums → gauge
// holding the last interval's value; cumulative histograms → histogram; summaries →
// summary. Every series gets job and instance from the resource; when two resources would
// give a family the same series, the resource attributes that tell them apart are added
// as labels to every series of those resources. A target_info series per resource carries
// the resource's other attributes. What still cannot be written is left out and counted
// by reason in Result.DroppedByReason: delta and exponential histograms, points flagged
// no-recorded-value, type conflicts, malformed histograms, and series that stay identical
// (two identical resources). Families are written in name order; no timestamps.
type Encoder struct {
	opts     Options
	resAttrs []resAttr
	pool     sync.Pool
}

type resAttr struct{ key, label string }

var _ taskerregistry.Encoder = (*Encoder)(nil)

// NewEncoder makes an encoder.
func NewEncoder(opts Options) *Encoder {
	e := &Encoder{opts: opts}
	seen := map[string]bool{}
	for _, k := range opts.ResourceAttributes {
		if k == "" || seen[k] {
			continue
		}
		seen[k] = true
		e.resAttrs = append(e.resAttrs, resAttr{key: k, label: SanitizeLabelName(k)})
	}
	e.pool.New = func() any { return newConvState() }
	return e
}

// MediaType implements Encoder.
func (e *Encoder) MediaType(string) taskerregistry.MediaType {
	return taskerregistry.MediaType{ContentType: ContentType, FileExtension: FileExtension}
}

type openMetricsKey struct{}

// WithOpenMetrics asks the built-in encoder for OpenMetrics text (GET /metrics, after
// content negotiation). Other encoders ignore it.
func WithOpenMetrics(ctx context.Context) context.Context {
	return context.WithValue(ctx, openMetricsKey{}, true)
}

func wantsOpenMetrics(ctx context.Context) bool {
	v, _ := ctx.Value(openMetricsKey{}).(bool)
	return v
}

// Encode implements Encoder. The format argument is ignored; the output is OpenMetrics
// when ctx asks for it (GET /metrics with an Accept header for it), else text 0.0.4.
func (e *Encoder) Encode(ctx context.Context, _ string, md pmetric.Metrics, w io.Writer) (taskerregistry.Result, error) {
	st := e.pool.Get().(*convState)
	defer func() {
		st.reset()
		e.pool.Put(st)
	}()
	st.enc = e
	st.convert(md)
	om := wantsOpenMetrics(ctx)
	err := st.write(ctx, w, om)
	res := st.result()
	res.Bytes = st.written
	if om {
		res.ContentType = OpenMetricsContentType
	}
	return res, err
}

// result is what the conversion counted: items and dropped points by reason.
func (st *convState) result() taskerregistry.Result {
	res := taskerregistry.Result{Items: st.items, Dropped: st.dropped}
	if st.dropped > 0 {
		res.DroppedByReason = make(map[string]int, len(st.reasons))
		for k, v := range st.reasons {
			res.DroppedByReason[k] = v
		}
	}
	return res
}

// convert groups, dedupes and lays out md.
func (st *convState) convert(md pmetric.Metrics) {
	st.collect(md)
	st.dedupe()
	st.layout()
}
