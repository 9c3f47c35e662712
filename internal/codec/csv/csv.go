// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csv

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/bits"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// csvWriter holds the CSV dialect of one exporter and appends cells to a byte slice.
//
// Quoting follows encoding/csv's Writer (RFC 4180): a cell is quoted when it contains
// the separator, a double quote, CR or LF, when it begins with a white-space rune
// (unicode.IsSpace), or when it is exactly `\.`; quotes inside are doubled. Unlike
// encoding/csv with UseCRLF, line breaks inside a quoted cell are kept as they are,
// so the data reads back unchanged; and a record of one empty cell is written as ""
// so that readers do not take it for a blank line and skip it.
//
// Formula escaping (OWASP "CSV injection"): a text cell beginning with =, +, -, @,
// TAB or CR gets a leading apostrophe, so a spreadsheet shows it as text instead of
// running it. Cells rendered from numbers are never escaped.
type csvWriter struct {
	sep      []byte    // the separator rune, UTF-8 encoded
	sepASCII bool      // the separator is one byte
	special  [256]bool // bytes that force quoting (separator when ASCII, quote, CR, LF)
	eol      []byte    // record terminator: "\n" or "\r\n"
	escape   bool      // escape_formulas
	scratch  []byte    // reused by the quoting path

	// Cells made only of these characters never need quotes (unless the separator is
	// one of them), so the encoder appends them without the check.
	numSafe bool // numbers: digits, sign, point, exponent, NaN, Inf
	tsSafe  bool // RFC 3339 timestamps
	hexSafe bool // trace and span ids
}

func newCSVWriter(sep rune, crlf, escapeFormulas bool) *csvWriter {
	w := &csvWriter{sep: utf8.AppendRune(nil, sep), escape: escapeFormulas, eol: []byte{'\n'}}
	if crlf {
		w.eol = []byte{'\r', '\n'}
	}
	w.special['"'], w.special['\r'], w.special['\n'] = true, true, true
	if sep < utf8.RuneSelf {
		w.sepASCII = true
		w.special[byte(sep)] = true
	}
	w.numSafe = !strings.ContainsRune("0123456789+-.eENaInf", sep)
	w.tsSafe = !strings.ContainsRune("0123456789-:.TZ", sep)
	w.hexSafe = !strings.ContainsRune("0123456789abcdef", sep)
	return w
}

// formulaStart reports whether a text cell beginning with c is escaped.
func formulaStart(c byte) bool {
	return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r'
}

// finish turns the raw cell text buf[start:] into its CSV form in place: formula
// escaping for text cells (when enabled) and quoting. The common case (nothing to do)
// only scans the cell.
func (w *csvWriter) finish(buf []byte, start int, text bool) []byte {
	cell := buf[start:]
	prefix, quote := w.needs(cell, text)
	if !prefix && !quote {
		return buf
	}
	w.scratch = append(w.scratch[:0], cell...)
	return w.appendEscaped(buf[:start], w.scratch, prefix, quote)
}

// appendCell appends cell (not in buf) in its CSV form.
func (w *csvWriter) appendCell(buf, cell []byte, text bool) []byte {
	prefix, quote := w.needs(cell, text)
	if !prefix && !quote {
		return append(buf, cell...)
	}
	return w.appendEscaped(buf, cell, prefix, quote)
}

// needs reports whether cell needs the formula apostrophe and quotes.
func (w *csvWriter) needs(cell []byte, text bool) (prefix, quote bool) {
	if len(cell) == 0 {
		return false, false
	}
	prefix = text && w.escape && formulaStart(cell[0])
	quote = w.hasSpecial(cell)
	if !prefix && !quote {
		// Leading white space and `\.` need quotes too (encoding/csv rules); an escaped
		// cell starts with an apostrophe instead, so the check is only needed here.
		if c := cell[0]; c == ' ' || c == '\\' || c >= utf8.RuneSelf || (c >= '\t' && c <= '\r') {
			quote = w.leadingNeedsQuote(cell)
		}
	}
	return prefix, quote
}

// appendEscaped appends src with the apostrophe and/or quotes (doubling those inside).
func (w *csvWriter) appendEscaped(buf, src []byte, prefix, quote bool) []byte {
	if !quote { // only the apostrophe
		buf = append(buf, '\'')
		return append(buf, src...)
	}
	start := len(buf)
	total := len(src) + 2 + countQuotes(src)
	if prefix {
		total++
	}
	buf = slices.Grow(buf, total)[:start+total]
	out := buf[start:]
	out[0] = '"'
	j := 1
	if prefix {
		out[1] = '\''
		j = 2
	}
	j = copyDoubled(out, j, src)
	out[j] = '"'
	return buf
}

const (
	lsb   = 0x0101010101010101
	msb   = 0x8080808080808080
	quote = '"' * lsb
)

// copyDoubled copies src into out from index j with every double quote doubled and
// returns the index after it. out must have room for the result plus one byte (the
// closing quote's slot), which the speculative writes below may touch. It works on 8
// bytes at a time (SWAR): JSON cells have a quote every few bytes, too often for a
// call to bytes.IndexByte per quote to pay off. The 8 bytes are stored whole and only
// those before the first quote kept, so out needs 8 bytes of room while src has 8.
func copyDoubled(out []byte, j int, src []byte) int {
	for len(src) >= 8 {
		x := binary.LittleEndian.Uint64(src)
		binary.LittleEndian.PutUint64(out[j:], x)
		y := x ^ quote
		m := (y - lsb) &^ y & msb // the lowest set high bit marks the first quote
		if m == 0 {
			j += 8
			src = src[8:]
			continue
		}
		// Keep the bytes up to the first quote, double it, go on after it.
		i := bits.TrailingZeros64(m)>>3 + 1
		j += i
		out[j] = '"'
		j++
		src = src[i:]
	}
	return copyDoubledBytes(out, j, src)
}

// copyDoubledBytes is copyDoubled a byte at a time, without a branch per byte: it
// writes a quote after every byte and steps over it only when the byte was a quote.
func copyDoubledBytes(out []byte, j int, src []byte) int {
	for _, c := range src {
		out[j] = c
		out[j+1] = '"'
		j += 1 + int((uint32(c^'"')-1)>>31)
	}
	return j
}

var quoteByte = []byte{'"'}

func countQuotes(b []byte) int { return bytes.Count(b, quoteByte) }

func (w *csvWriter) hasSpecial(cell []byte) bool {
	for _, c := range cell {
		if w.special[c] {
			return true
		}
	}
	return !w.sepASCII && bytes.Contains(cell, w.sep)
}

func (w *csvWriter) leadingNeedsQuote(cell []byte) bool {
	if len(cell) == 2 && cell[0] == '\\' && cell[1] == '.' {
		return true
	}
	r, _ := utf8.DecodeRune(cell)
	return unicode.IsSpace(r)
}

// appendText appends s as a text cell (formula-escaped when enabled).
func (w *csvWriter) appendText(buf []byte, s string) []byte {
	start := len(buf)
	buf = append(buf, s...)
	return w.finish(buf, start, true)
}

// appendName appends a header name: quoted as needed, never formula-escaped (it
// comes from the configuration or is prefixed, and it must parse back as written).
func (w *csvWriter) appendName(buf []byte, s string) []byte {
	start := len(buf)
	buf = append(buf, s...)
	return w.finish(buf, start, false)
}

// appendHeader appends a whole header record.
func (w *csvWriter) appendHeader(buf []byte, names []string) []byte {
	for i, n := range names {
		if i > 0 {
			buf = append(buf, w.sep...)
		}
		buf = w.appendName(buf, n)
	}
	if len(names) == 1 && names[0] == "" {
		buf = append(buf, '"', '"')
	}
	return append(buf, w.eol...)
}

var (
	errBareQuote    = errors.New("bare \" in an unquoted field")
	errQuote        = errors.New("extraneous or missing \" in a quoted field")
	errUnterminated = errors.New("unterminated record")
)

// parseRecord parses the first CSV record of b (RFC 4180, separator sep) and returns
// its fields and the number of bytes consumed, terminator included. A record must be
// terminated by LF or CRLF. It reads header lines back, including those of files
// written by an earlier run.
func parseRecord(b []byte, sep []byte) (fields []string, n int, err error) {
	var field []byte
	i := 0
	for {
		// Start of a field.
		if i < len(b) && b[i] == '"' {
			i++
			field = field[:0]
			for {
				j := bytes.IndexByte(b[i:], '"')
				if j < 0 {
					return nil, 0, errUnterminated
				}
				field = append(field, b[i:i+j]...)
				i += j + 1
				if i < len(b) && b[i] == '"' { // doubled quote
					field = append(field, '"')
					i++
					continue
				}
				break
			}
			fields = append(fields, string(field))
			switch {
			case bytes.HasPrefix(b[i:], sep):
				i += len(sep)
				continue
			case i < len(b) && b[i] == '\n':
				return fields, i + 1, nil
			case i+1 < len(b) && b[i] == '\r' && b[i+1] == '\n':
				return fields, i + 2, nil
			case i >= len(b):
				return nil, 0, errUnterminated
			default:
				return nil, 0, errQuote
			}
		}
		// Unquoted field: up to the separator or the end of the line.
		end := i
		for end < len(b) && b[end] != '\n' && !bytes.HasPrefix(b[end:], sep) {
			if b[end] == '"' {
				return nil, 0, errBareQuote
			}
			end++
		}
		f := b[i:end]
		if end == len(b) {
			return nil, 0, errUnterminated
		}
		if b[end] == '\n' {
			f = bytes.TrimSuffix(f, []byte{'\r'})
			fields = append(fields, string(f))
			return fields, end + 1, nil
		}
		fields = append(fields, string(f))
		i = end + len(sep)
	}
}
