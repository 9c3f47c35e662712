// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package redisbackend

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// The text formats shared with the Lua scripts (see doc.go). Integers (int64 and uint64)
// are the lower-case hex of their 64-bit pattern without leading zeros; int32 fields
// (scale, offsets) are signed decimal; doubles are Go's shortest round-trip form, or what
// Lua's "%.17g" wrote, or nan/+inf/-inf (Go writes NaN/+Inf/-Inf).

const hexDigits = "0123456789abcdef"

type pointClass uint8

const (
	classSum  pointClass = iota + 1 // kinds 1-3: sums and gauges
	classHist                       // kinds 4, 5: explicit histograms
	classExp                        // kinds 6, 7: exponential histograms
)

func classOf(k series.Kind) pointClass {
	switch k {
	case series.KindDeltaSum, series.KindCumulativeSum, series.KindGauge:
		return classSum
	case series.KindDeltaHistogram, series.KindCumulativeHistogram:
		return classHist
	case series.KindDeltaExpHistogram, series.KindCumulativeExpHistogram:
		return classExp
	}
	return 0
}

// appendID appends the 16-digit hex form of id (series.ID.String without allocating).
func appendID(b []byte, id series.ID) []byte {
	for shift := 60; shift >= 0; shift -= 4 {
		b = append(b, hexDigits[(uint64(id)>>uint(shift))&0xf])
	}
	return b
}

func appendInt(b []byte, v int64) []byte { return appendUint(b, uint64(v)) }

// appendUint appends v in lower-case hex without leading zeros (strconv.AppendUint(b,
// v, 16), which formats a digit at a time through its general path: this writes the
// digits from the end of the space they take, ≈ 2× faster; TestAppendUint).
func appendUint(b []byte, v uint64) []byte {
	n := max(1, (bits.Len64(v)+3)/4)
	l := len(b)
	b = append(b, make([]byte, n)...)
	for i := l + n - 1; i >= l; i-- {
		b[i] = hexDigits[v&0xf]
		v >>= 4
	}
	return b
}
func appendFloat(b []byte, f float64) []byte {
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

func appendMinMax(b []byte, has bool, v float64) []byte {
	if !has {
		b = append(b, '~')
	}
	return appendFloat(b, v)
}

func appendList(b []byte, l []uint64) []byte {
	if len(l) == 0 {
		return append(b, '-')
	}
	for i, c := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendUint(b, c)
	}
	return b
}

// appendRecord appends one update as the apply script reads it:
// <id: 16 hex><kind digit>('-' | '+'<desc len hex>':'<desc>)<point>.
func appendRecord(b []byte, u *series.Update) []byte {
	b = appendID(b, u.ID)
	b = append(b, byte('0'+u.Kind))
	if u.Desc == nil {
		b = append(b, '-')
	} else {
		b = append(b, '+')
		b = strconv.AppendUint(b, uint64(len(u.Desc)), 16)
		b = append(b, ':')
		b = append(b, u.Desc...)
	}
	return appendPoint(b, u.Kind, &u.Point)
}

// appendPoint appends the fields of p that kind uses, space separated.
func appendPoint(b []byte, kind series.Kind, p *series.Point) []byte {
	b = appendInt(b, p.Start)
	b = append(b, ' ')
	b = appendInt(b, p.Time)
	b = append(b, ' ')
	class := classOf(kind)
	if class == classSum {
		if p.IsInt {
			b = append(b, 'i')
			return appendInt(b, p.Int)
		}
		return appendFloat(b, p.Double)
	}
	// Histograms: count, sum, min, max, then the buckets of each layout.
	b = appendUint(b, p.Count)
	b = append(b, ' ')
	b = appendFloat(b, p.Sum)
	b = append(b, ' ')
	b = appendMinMax(b, p.HasMin, p.Min)
	b = append(b, ' ')
	b = appendMinMax(b, p.HasMax, p.Max)
	b = append(b, ' ')
	if class == classHist {
		return appendList(b, p.Buckets)
	}
	// classExp
	b = strconv.AppendInt(b, int64(p.Scale), 10)
	b = append(b, ' ')
	b = appendUint(b, p.ZeroCount)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(p.PosOffset), 10)
	b = append(b, ' ')
	b = appendList(b, p.Pos)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(p.NegOffset), 10)
	b = append(b, ' ')
	return appendList(b, p.Neg)
}

// checkKind refuses kinds the formats do not know.
func checkKind(k series.Kind) error {
	if classOf(k) == 0 {
		return fmt.Errorf("unknown series kind %d", k)
	}
	return nil
}

var errFormat = errors.New("malformed")

type tokenizer struct {
	s    string
	done bool
}

func (t *tokenizer) next() (string, error) {
	if t.done {
		return "", errFormat
	}
	tok, rest, found := strings.Cut(t.s, " ")
	t.s = rest
	t.done = !found
	if tok == "" {
		return "", errFormat
	}
	return tok, nil
}

func (t *tokenizer) int64() (int64, error) {
	tok, err := t.next()
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(tok, 16, 64)
	return int64(v), err
}

func (t *tokenizer) uint64() (uint64, error) {
	tok, err := t.next()
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(tok, 16, 64)
}

func (t *tokenizer) int32() (int32, error) {
	tok, err := t.next()
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(tok, 10, 32)
	return int32(v), err
}

func parseFloat(tok string) (float64, error) {
	switch tok {
	case "nan", "-nan", "NaN":
		return math.NaN(), nil
	}
	return strconv.ParseFloat(tok, 64) // also inf, -inf, +Inf
}

func (t *tokenizer) float() (float64, error) {
	tok, err := t.next()
	if err != nil {
		return 0, err
	}
	return parseFloat(tok)
}

func (t *tokenizer) minMax() (bool, float64, error) {
	tok, err := t.next()
	if err != nil {
		return false, 0, err
	}
	has := true
	if tok[0] == '~' {
		has, tok = false, tok[1:]
	}
	v, err := parseFloat(tok)
	return has, v, err
}

func (t *tokenizer) list() ([]uint64, error) {
	tok, err := t.next()
	if err != nil || tok == "-" {
		return nil, err
	}
	out := make([]uint64, 0, strings.Count(tok, ",")+1)
	for tok != "" {
		var c string
		c, tok, _ = strings.Cut(tok, ",")
		v, err := strconv.ParseUint(c, 16, 64)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// parsePoint parses what appendPoint (or the Lua serializer) wrote for kind.
func parsePoint(kind series.Kind, s string) (series.Point, error) {
	var p series.Point
	t := tokenizer{s: s}
	errs := make([]error, 0, 4)
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	var err error
	p.Start, err = t.int64()
	add(err)
	p.Time, err = t.int64()
	add(err)
	switch class := classOf(kind); class {
	case classSum:
		tok, err := t.next()
		add(err)
		if err == nil {
			if tok[0] == 'i' && tok != "inf" {
				p.IsInt = true
				var v uint64
				v, err = strconv.ParseUint(tok[1:], 16, 64)
				p.Int = int64(v)
			} else {
				p.Double, err = parseFloat(tok)
			}
			add(err)
		}
	case classHist, classExp: // count, sum, min, max, then the buckets of each layout
		p.Count, err = t.uint64()
		add(err)
		p.Sum, err = t.float()
		add(err)
		p.HasMin, p.Min, err = t.minMax()
		add(err)
		p.HasMax, p.Max, err = t.minMax()
		add(err)
		if class == classHist {
			p.Buckets, err = t.list()
			add(err)
			break
		}
		p.Scale, err = t.int32()
		add(err)
		p.ZeroCount, err = t.uint64()
		add(err)
		p.PosOffset, err = t.int32()
		add(err)
		p.Pos, err = t.list()
		add(err)
		p.NegOffset, err = t.int32()
		add(err)
		p.Neg, err = t.list()
		add(err)
	default:
		return p, fmt.Errorf("unknown series kind %d", kind)
	}
	if !t.done {
		add(errors.New("trailing fields"))
	}
	if len(errs) > 0 {
		return p, fmt.Errorf("%w point %q: %w", errFormat, s, errs[0])
	}
	return p, nil
}

func parseKind(c byte) (series.Kind, error) {
	k := series.Kind(c - '0')
	if c < '0' || c > '9' || classOf(k) == 0 {
		return 0, fmt.Errorf("%w: bad kind %q", errFormat, c)
	}
	return k, nil
}

// parseValue parses a v field: <kind digit><first seen hex> <last update hex> <point>.
func parseValue(s string, st *series.State) error {
	if len(s) < 2 {
		return fmt.Errorf("%w value %q", errFormat, s)
	}
	k, err := parseKind(s[0])
	if err != nil {
		return err
	}
	t := tokenizer{s: s[1:]}
	first, err1 := t.int64()
	last, err2 := t.int64()
	if err := errors.Join(err1, err2); err != nil || t.done {
		return fmt.Errorf("%w value %q", errFormat, s)
	}
	p, err := parsePoint(k, t.s)
	if err != nil {
		return err
	}
	st.Kind, st.FirstSeen, st.LastUpdate, st.Point = k, first, last, p
	return nil
}

// appendExported appends an x field: <kind digit><point>.
func appendExported(b []byte, kind series.Kind, p *series.Point) []byte {
	b = append(b, byte('0'+kind))
	return appendPoint(b, kind, p)
}

func parseExported(s string) (*series.Point, error) {
	if len(s) < 2 {
		return nil, fmt.Errorf("%w exported point %q", errFormat, s)
	}
	k, err := parseKind(s[0])
	if err != nil {
		return nil, err
	}
	p, err := parsePoint(k, s[1:])
	if err != nil {
		return nil, err
	}
	return &p, nil
}
