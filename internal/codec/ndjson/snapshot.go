// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package ndjson

import (
	"context"
	"io"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// SnapshotEncoder is the registry's view of a tasker_json exporter: it encodes a metrics
// snapshot (the tasker_cache aggregate, for GET /v1/export) exactly as the exporter
// writes a batch of those metrics, with its options. Every format name gives the same
// output. GroupBy does not apply: the whole snapshot is one output (with Tasker, one
// document). It is safe for concurrent use: each Encode has its own encoder.
type SnapshotEncoder struct {
	c *Codec
	// Now is the clock of the tasker document's timestamps (time.Now).
	Now func() time.Time
}

var _ taskerregistry.Encoder = (*SnapshotEncoder)(nil)

// NewSnapshotEncoder returns the snapshot encoder of o (without its GroupBy).
func NewSnapshotEncoder(o Options) *SnapshotEncoder {
	o.GroupBy = ""
	return &SnapshotEncoder{c: New(o), Now: time.Now}
}

// Encode writes md as the exporter would write it. An empty snapshot gives no NDJSON
// lines, and a tasker document with no metrics.
func (m *SnapshotEncoder) Encode(ctx context.Context, _ string, md pmetric.Metrics, w io.Writer) (taskerregistry.Result, error) {
	if err := ctx.Err(); err != nil {
		return taskerregistry.Result{}, err
	}
	enc := m.c.NewEncoder()
	enc.SetNow(m.Now)
	src := md
	if m.c.o.Tasker && src.ResourceMetrics().Len() == 0 {
		src = pmetric.NewMetrics()
		src.ResourceMetrics().AppendEmpty()
	}
	groups := enc.Metrics(src)
	if err := ctx.Err(); err != nil {
		return taskerregistry.Result{}, err
	}
	var n int64
	for _, g := range groups {
		k, err := w.Write(g.Buf)
		n += int64(k)
		if err != nil {
			return taskerregistry.Result{Bytes: n}, err
		}
	}
	return taskerregistry.Result{Items: md.DataPointCount(), Bytes: n}, nil
}

// MediaType: NDJSON, or a JSON document with Tasker, whatever name the export asks for.
func (m *SnapshotEncoder) MediaType(string) taskerregistry.MediaType {
	if m.c.o.Tasker {
		return taskerregistry.MediaType{ContentType: "application/json; charset=utf-8", FileExtension: "json"}
	}
	return taskerregistry.MediaType{ContentType: "application/x-ndjson; charset=utf-8", FileExtension: "ndjson"}
}
