// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package series

import (
	"encoding/binary"
	"errors"

	"go.opentelemetry.io/collector/pdata/pmetric"
)

var protoMarshaler = &pmetric.ProtoMarshaler{}
var protoUnmarshaler = &pmetric.ProtoUnmarshaler{}

// Template is a series' descriptor as pdata: a one-point Metrics holding the resource,
// scope, metric and the point's attributes (and bounds) without a value, and the hashes
// that group series back into resources and metrics. It is never modified once built.
type Template struct {
	ResHash, MetricHash uint64
	MD                  pmetric.Metrics
}

// Encode returns the template as a descriptor (see descHeader).
func (t *Template) Encode() ([]byte, error) {
	body, err := protoMarshaler.MarshalMetrics(t.MD)
	if err != nil {
		return nil, err
	}
	out := make([]byte, descHeader, descHeader+len(body))
	binary.LittleEndian.PutUint64(out[0:], t.ResHash)
	binary.LittleEndian.PutUint64(out[8:], t.MetricHash)
	return append(out, body...), nil
}

// DecodeDescriptor returns the one-point Metrics a descriptor holds.
func DecodeDescriptor(desc []byte) (pmetric.Metrics, error) {
	if len(desc) < descHeader {
		return pmetric.Metrics{}, errors.New("series: descriptor too short")
	}
	return protoUnmarshaler.UnmarshalMetrics(desc[descHeader:])
}

// Described reports whether the state has a descriptor (bytes or template).
func (s *State) Described() bool { return s.Desc != nil || s.Tmpl != nil }

// Template returns the state's descriptor hashes and its one-point Metrics, to be
// read (copied from) only: the kept template itself (memory backend: nothing decoded,
// nothing copied), or the descriptor decoded.
func (s *State) Template() (res, metric uint64, md pmetric.Metrics, err error) {
	if s.Tmpl != nil {
		return s.Tmpl.ResHash, s.Tmpl.MetricHash, s.Tmpl.MD, nil
	}
	if res, metric, err = DescHashes(s.Desc); err != nil {
		return 0, 0, md, err
	}
	md, err = DecodeDescriptor(s.Desc)
	return res, metric, md, err
}
