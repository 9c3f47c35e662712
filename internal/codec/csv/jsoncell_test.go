// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csv

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tasker-systems/otelcol-tasker/internal/flatten"
)

func randomValue(r *rand.Rand, v pcommon.Value, depth int) {
	switch r.IntN(8) {
	case 0:
		v.SetInt(r.Int64N(2000) - 1000)
	case 1:
		v.SetDouble([]float64{0.25, -1.5, 1e21, 1e-7, math.NaN(), math.Inf(1), 3}[r.IntN(7)])
	case 2:
		v.SetBool(r.IntN(2) == 0)
	case 3:
		v.SetEmptyBytes().FromRaw([]byte(randomField(r)))
	case 4:
		if depth < 2 {
			m := v.SetEmptyMap()
			for range r.IntN(3) {
				randomValue(r, m.PutEmpty(randomKey(r)), depth+1)
			}
			return
		}
		v.SetStr(randomField(r))
	case 5:
		if depth < 2 {
			s := v.SetEmptySlice()
			for range r.IntN(3) {
				randomValue(r, s.AppendEmpty(), depth+1)
			}
			return
		}
		v.SetStr("")
	default:
		v.SetStr(randomField(r) + []string{"", "<b>&amp;", "\x01\x7f", "\u2028", "\xff", "é"}[r.IntN(6)])
	}
}

func randomKey(r *rand.Rand) string {
	return []string{"task", "step.name", "say \"hi\"", "", "a,b", "<x>", "naïve", "k"}[r.IntN(8)]
}

// TestAttributeCellMatchesFlattenJSON checks the one-pass JSON cell against
// flatten.AppendJSONMap quoted by the generic CSV path, on random maps, rows whose
// keys repeat (the key cache) and rows whose keys differ.
func TestAttributeCellMatchesFlattenJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	o, err := newOptions(testOptions(signalLogs, nil))
	require.NoError(t, err)
	enc := newEncoder(o)
	w := newCSVWriter(',', false, true)
	for i := range 5000 {
		m := pcommon.NewMap()
		if i%3 == 0 { // same keys as a typical previous row, other values
			m.PutStr("task", randomField(r))
			m.PutInt("attempt", int64(i))
			randomValue(r, m.PutEmpty("step.name"), 0)
		} else {
			for range r.IntN(5) {
				randomValue(r, m.PutEmpty(randomKey(r)), 0)
			}
		}
		want := w.appendCell(nil, flatten.AppendJSONMap(nil, m), true)
		if m.Len() == 0 {
			want = nil
		}
		enc.buf = enc.buf[:0]
		enc.attributeCell(m)
		require.Equal(t, string(want), string(enc.buf), "%v", m.AsRaw())
	}
	enc.done()
}
