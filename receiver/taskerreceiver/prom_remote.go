// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// parseRemoteWrite decodes a Prometheus remote-write 1.0 WriteRequest (after snappy):
// timeseries = 1 {labels = 1 {name = 1, value = 2}, samples = 2 {value = 1 (double),
// timestamp = 2 (int64 ms)}}; metadata and other fields are skipped.
func parseRemoteWrite(b []byte) (promText, error) {
	out := promText{types: map[string]string{}}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return out, errors.New("remote write: bad tag")
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType {
			ts, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return out, errors.New("remote write: bad timeseries")
			}
			b = b[n:]
			samples, err := parseTimeSeries(ts)
			if err != nil {
				return out, err
			}
			out.samples = append(out.samples, samples...)
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return out, fmt.Errorf("remote write: bad field %d", num)
		}
		b = b[n:]
	}
	return out, nil
}

func parseTimeSeries(b []byte) ([]promSample, error) {
	var name string
	var labels []kv
	type point struct {
		v  float64
		ts int64
	}
	var points []point
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, errors.New("remote write: bad timeseries tag")
		}
		b = b[n:]
		if typ != protowire.BytesType || (num != 1 && num != 2) {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return nil, errors.New("remote write: bad timeseries field")
			}
			b = b[n:]
			continue
		}
		msg, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return nil, errors.New("remote write: bad timeseries field")
		}
		b = b[n:]
		fields, err := parsePair(msg)
		if err != nil {
			return nil, err
		}
		if num == 1 {
			if fields.k == "__name__" {
				name = fields.v
			} else {
				labels = append(labels, kv{fields.k, fields.v})
			}
		} else {
			points = append(points, point{fields.f, fields.i})
		}
	}
	if name == "" {
		return nil, errors.New("remote write: timeseries without __name__")
	}
	n, extra, _, err := parseSeriesName(name)
	if err != nil {
		return nil, fmt.Errorf("remote write: %w", err)
	}
	labels = mergeLabels(extra, labels)
	for i := range labels {
		if labels[i].k == "le" && strings.EqualFold(labels[i].v, "Infinity") {
			labels[i].v = "+Inf"
		}
	}
	sort.Slice(labels, func(a, b int) bool { return labels[a].k < labels[b].k })
	out := make([]promSample, 0, len(points))
	for _, p := range points {
		out = append(out, promSample{name: n, labels: labels, value: p.v, ts: p.ts})
	}
	return out, nil
}

type pair struct {
	k, v string
	f    float64
	i    int64
}

// parsePair reads a Label {1: name, 2: value} or a Sample {1: double, 2: int64}.
func parsePair(b []byte) (pair, error) {
	var p pair
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return p, errors.New("remote write: bad tag")
		}
		b = b[n:]
		switch {
		case typ == protowire.BytesType:
			s, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return p, errors.New("remote write: bad string")
			}
			if num == 1 {
				p.k = string(s)
			} else {
				p.v = string(s)
			}
			n = m
		case typ == protowire.Fixed64Type && num == 1:
			v, m := protowire.ConsumeFixed64(b)
			p.f, n = math.Float64frombits(v), m
		case typ == protowire.VarintType && num == 2:
			v, m := protowire.ConsumeVarint(b)
			p.i, n = int64(v), m
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return p, errors.New("remote write: bad value")
		}
		b = b[n:]
	}
	return p, nil
}
