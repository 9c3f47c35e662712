// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csv

import (
	"bytes"
	stdcsv "encoding/csv"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// randomField draws a field from an alphabet rich in the characters that matter to
// CSV: separators, quotes, CR, LF, spaces, backslash, dots, unicode spaces, formula starters.
func randomField(r *rand.Rand) string {
	alphabet := []string{"a", "b", "1", ",", ";", "\t", "\"", "\r", "\n", " ", "\\", ".", "=", "+", "-", "@", "'", "é", "\u00a0", "\u2028", "§", "日"}
	n := r.IntN(30)
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		b.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

// TestQuotingMatchesEncodingCSV checks the hand-written cell encoder against
// encoding/csv's Writer on random records (formula escaping off, LF line endings),
// for ASCII and multi-byte separators, and that encoding/csv reads them back.
func TestQuotingMatchesEncodingCSV(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sep := range []rune{',', ';', '\t', '|', ' ', '§', '日'} {
		w := newCSVWriter(sep, false, false)
		for range 2000 {
			rec := make([]string, 1+r.IntN(5))
			for i := range rec {
				rec[i] = randomField(r)
			}
			if len(rec) == 1 && rec[0] == "" {
				continue // encoding/csv writes a blank line here; we write "" (tested below)
			}
			var want bytes.Buffer
			cw := stdcsv.NewWriter(&want)
			cw.Comma = sep
			require.NoError(t, cw.Write(rec))
			cw.Flush()

			var got []byte
			for i, f := range rec {
				if i > 0 {
					got = append(got, w.sep...)
				}
				start := len(got)
				got = append(got, f...)
				got = w.finish(got, start, true)
			}
			got = append(got, '\n')
			require.Equal(t, want.String(), string(got), "record %q separator %q", rec, sep)

			cr := stdcsv.NewReader(bytes.NewReader(got))
			cr.Comma = sep
			back, err := cr.Read()
			require.NoError(t, err)
			if !bytes.Contains(got, []byte{'\r'}) { // encoding/csv's Reader turns \r\n in a field into \n
				require.Equal(t, rec, back)
			}

			fields, n, err := parseRecord(got, w.sep)
			require.NoError(t, err)
			require.Equal(t, len(got), n)
			require.Equal(t, rec, fields)
		}
	}
}

func TestFormulaEscaping(t *testing.T) {
	w := newCSVWriter(',', false, true)
	tests := []struct {
		in   string
		text bool
		want string
	}{
		{"=SUM(A1:A2)", true, "'=SUM(A1:A2)"},
		{"+1", true, "'+1"},
		{"-1", true, "'-1"},
		{"@x", true, "'@x"},
		{"\tx", true, "'\tx"},
		{"\rx", true, "\"'\rx\""},
		{"=1,2", true, "\"'=1,2\""},
		{"=\"a\"", true, "\"'=\"\"a\"\"\""},
		{"plain", true, "plain"},
		{"a=b", true, "a=b"},
		{"", true, ""},
		{"'=already", true, "'=already"},
		// Cells rendered from numbers are never escaped.
		{"-1.5", false, "-1.5"},
		{"+Inf", false, "+Inf"},
		{"-7", false, "-7"},
	}
	for _, tt := range tests {
		got := w.finish([]byte(tt.in), 0, tt.text)
		assert.Equal(t, tt.want, string(got), "%q", tt.in)
	}
	off := newCSVWriter(',', false, false)
	assert.Equal(t, "=SUM(A1)", string(off.finish([]byte("=SUM(A1)"), 0, true)))
	assert.Equal(t, "\"=1,2\"", string(off.finish([]byte("=1,2"), 0, true)))
}

func TestSingleEmptyCellRow(t *testing.T) {
	md := pmetric.NewMetrics()
	g := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty().SetEmptyGauge()
	g.DataPoints().AppendEmpty().SetIntValue(1)
	g.DataPoints().AppendEmpty().SetFlags(pmetric.DefaultDataPointFlags.WithNoRecordedValue(true))
	cfg := testOptions(signalMetrics, func(c *Options) { c.Columns, c.ResourceColumns = []string{"value"}, nil })
	got := encodeAll(t, cfg, md)
	assert.Equal(t, "value\n1\n\"\"\n", string(got))
	// A reader sees two rows, not one and a blank line.
	assert.Equal(t, [][]string{{"value"}, {"1"}, {""}}, readCSV(t, got, ','))
}

func TestParseRecord(t *testing.T) {
	tests := []struct {
		in      string
		sep     string
		want    []string
		n       int
		wantErr bool
	}{
		{in: "a,b,c\n", sep: ",", want: []string{"a", "b", "c"}, n: 6},
		{in: "a,b,c\r\nrest", sep: ",", want: []string{"a", "b", "c"}, n: 7},
		{in: "\"a,1\",\"b\"\"q\"\"\",\"x\ny\"\n", sep: ",", want: []string{"a,1", "b\"q\"", "x\ny"}, n: 21},
		{in: ",\n", sep: ",", want: []string{"", ""}, n: 2},
		{in: "\"\"\n", sep: ",", want: []string{""}, n: 3},
		{in: "a§b\n", sep: "§", want: []string{"a", "b"}, n: 5},
		{in: "a;b\n", sep: ";", want: []string{"a", "b"}, n: 4},
		{in: "a,b", sep: ",", wantErr: true},             // no terminator
		{in: "\"a,b\n", sep: ",", wantErr: true},         // unterminated quote
		{in: "a\"b,c\n", sep: ",", wantErr: true},        // bare quote
		{in: "\"a\"b,c\n", sep: ",", wantErr: true},      // text after closing quote
		{in: "\"a\"", sep: ",", wantErr: true},           // quoted, then EOF
		{in: "label_a,\"le_\n", sep: ",", wantErr: true}, // header cut by a line read
	}
	for _, tt := range tests {
		got, n, err := parseRecord([]byte(tt.in), []byte(tt.sep))
		if tt.wantErr {
			assert.Error(t, err, "%q", tt.in)
			continue
		}
		require.NoError(t, err, "%q", tt.in)
		assert.Equal(t, tt.want, got, "%q", tt.in)
		assert.Equal(t, tt.n, n, "%q", tt.in)
	}
}
