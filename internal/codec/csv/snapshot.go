// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csv

import (
	"context"
	"io"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// SnapshotEncoder is the registry's view of a tasker_csv exporter: it encodes a metrics
// snapshot (the tasker_cache aggregate, for GET /v1/export?format=csv) exactly as the
// exporter writes those metrics to a new file: the header of the snapshot's own layout
// (columns, label_ and le_ columns, field_mapping, separator, line ending), then one row
// per data point. GroupBy does not apply: the whole snapshot is one output with one
// header. It is safe for concurrent use: each Encode has its own encoder.
type SnapshotEncoder struct {
	o *options // the metrics options, without GroupBy
}

var _ taskerregistry.Encoder = (*SnapshotEncoder)(nil)

// NewSnapshotEncoder returns the snapshot encoder of the metrics options o (without
// their GroupBy).
func NewSnapshotEncoder(o Options) (*SnapshotEncoder, error) {
	o.GroupBy = ""
	c, err := newOptions(&o)
	if err != nil {
		return nil, err
	}
	return &SnapshotEncoder{o: c}, nil
}

// Encode writes md as a new file of the exporter would hold it. An empty snapshot gives
// the header alone (nothing without include_headers).
func (m *SnapshotEncoder) Encode(ctx context.Context, _ string, md pmetric.Metrics, w io.Writer) (taskerregistry.Result, error) {
	if err := ctx.Err(); err != nil {
		return taskerregistry.Result{}, err
	}
	enc := newEncoder(m.o)
	rms := md.ResourceMetrics()
	g := &enc.split(rms.Len(), func(i int) pcommon.Resource { return rms.At(i).Resource() })[0]
	l := m.o.fixed
	if l == nil {
		l = m.o.layoutFor(nil, enc.scanMetrics(md, g))
	}
	data := enc.encodeMetrics(md, g, l)
	if err := ctx.Err(); err != nil {
		return taskerregistry.Result{}, err
	}
	var n int64
	for _, b := range [][]byte{l.header, data} {
		if len(b) == 0 {
			continue
		}
		k, err := w.Write(b)
		n += int64(k)
		if err != nil {
			return taskerregistry.Result{Bytes: n}, err
		}
	}
	return taskerregistry.Result{Items: md.DataPointCount(), Bytes: n}, nil
}

// MediaType is text/csv (RFC 4180, RFC 7111), with header=present or absent as
// include_headers says.
func (m *SnapshotEncoder) MediaType(string) taskerregistry.MediaType {
	ct := "text/csv; charset=utf-8; header=present"
	if !m.o.headers {
		ct = "text/csv; charset=utf-8; header=absent"
	}
	return taskerregistry.MediaType{ContentType: ct, FileExtension: "csv"}
}
