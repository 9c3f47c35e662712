// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package jsonexporter

import (
	"context"
	"io"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// formatJSON is the generic format every tasker_json exporter registers, besides its
// configured format (ndjson or tasker).
const formatJSON = "json"

// newPlugin describes the exporter to tasker_registry. Every signal's instance registers
// the same plugin (shared): the registry keeps one, named after the component id.
func newPlugin(cfg *Config, id component.ID, version string) taskerregistry.Plugin {
	desc := "Tasker JSON files (ndjson): one JSON object per metric data point, log record and span"
	if cfg.Format == FormatTasker {
		desc = "Tasker JSON files (tasker): one Tasker JsonExporter document per metrics export; logs and traces as NDJSON"
	}
	return taskerregistry.Plugin{
		Name:        id.String(),
		Version:     version,
		Description: desc,
		Formats:     []string{formatJSON, cfg.Format},
		ComponentID: id,
		Kind:        component.KindExporter,
		Options: map[string]string{
			"path":   cfg.Path,
			"mode":   string(cfg.Mode),
			"format": cfg.Format,
		},
		Implementation: newMetricsEncoder(cfg),
	}
}

// metricsEncoder is the registry's view of the exporter: it encodes a metrics snapshot
// (the tasker_cache aggregate, for GET /v1/export) exactly as the exporter writes a
// batch of those metrics, with its format, field_mapping, labels and additional_fields.
// Both registered formats (json and the configured one) give the same output. group_by
// does not apply: the whole snapshot is one output (with format tasker, one document).
// It is safe for concurrent use: each Encode has its own encoder.
type metricsEncoder struct {
	cfg       *Config   // the exporter's configuration without group_by
	keys      *keyTable // top-level keys (NDJSON objects, or the tasker document)
	entryKeys *keyTable // keys of the tasker document's entries
	now       func() time.Time
}

var _ taskerregistry.Encoder = (*metricsEncoder)(nil)

func newMetricsEncoder(cfg *Config) *metricsEncoder {
	c := *cfg
	c.GroupBy = nil
	m := &metricsEncoder{cfg: &c, keys: newKeyTable(c.FieldMapping, c.AdditionalFields), now: time.Now}
	m.entryKeys = m.keys
	if c.Format == FormatTasker {
		m.entryKeys = newKeyTable(c.FieldMapping, nil)
	}
	return m
}

// Encode writes md as the exporter would write it. An empty snapshot gives no NDJSON
// lines, and a tasker document with no metrics.
func (m *metricsEncoder) Encode(ctx context.Context, _ string, md pmetric.Metrics, w io.Writer) (taskerregistry.Result, error) {
	if err := ctx.Err(); err != nil {
		return taskerregistry.Result{}, err
	}
	enc := newEncoder(m.cfg, m.entryKeys)
	var groups []groupBuf
	if m.cfg.Format == FormatTasker {
		doc := newTaskerDoc(m.cfg, m.keys)
		doc.now = m.now
		src := md
		if src.ResourceMetrics().Len() == 0 {
			src = pmetric.NewMetrics()
			src.ResourceMetrics().AppendEmpty()
		}
		groups = doc.encode(enc, src)
	} else {
		groups = enc.encodeMetrics(md)
	}
	if err := ctx.Err(); err != nil {
		return taskerregistry.Result{}, err
	}
	var n int64
	for _, g := range groups {
		k, err := w.Write(g.buf)
		n += int64(k)
		if err != nil {
			return taskerregistry.Result{Bytes: n}, err
		}
	}
	return taskerregistry.Result{Items: md.DataPointCount(), Bytes: n}, nil
}

// MediaType: NDJSON for format ndjson, a JSON document for format tasker, whatever name
// the export asks for (json or the configured format).
func (m *metricsEncoder) MediaType(string) taskerregistry.MediaType {
	if m.cfg.Format == FormatTasker {
		return taskerregistry.MediaType{ContentType: "application/json; charset=utf-8", FileExtension: "json"}
	}
	return taskerregistry.MediaType{ContentType: "application/x-ndjson; charset=utf-8", FileExtension: "ndjson"}
}
