// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerids

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The formulas as the receiver's README documents them, computed independently.
func TestFormulas(t *testing.T) {
	sum := func(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }
	tr := TraceID("tasker", "production", "42")
	assert.Equal(t, hex.EncodeToString(sum("tasker\x00production\x0042\x00trace\x00")[:16]), hex.EncodeToString(tr[:]))
	ts := TaskSpanID("tasker", "production", "42")
	assert.Equal(t, hex.EncodeToString(sum("tasker\x00production\x0042\x00task\x00")[:8]), hex.EncodeToString(ts[:]))
	ss := StepSpanID("tasker", "", "42", "7", 3)
	assert.Equal(t, hex.EncodeToString(sum("tasker\x00\x0042\x007\x003\x00step\x00")[:8]), hex.EncodeToString(ss[:]))
	// Parts are separated: ("a","bc") and ("ab","c") differ.
	assert.NotEqual(t, TraceID("a", "", "bc"), TraceID("ab", "", "c"))
	assert.NotEqual(t, StepSpanID("s", "", "1", "2", 1), StepSpanID("s", "", "1", "2", 2))
	// Deployments reuse task ids: their tasks stay apart.
	assert.NotEqual(t, TraceID("s", "production", "1"), TraceID("s", "staging", "1"))
}

// Pinned values: a change of the formula changes every id a deployment has stored.
func TestPinned(t *testing.T) {
	tr := TraceID("tasker", "", "1")
	ts := TaskSpanID("tasker", "", "1")
	ss := StepSpanID("tasker", "", "1", "10", 1)
	assert.Equal(t, "4b2a41794f809a594ce9b6c87fbe21ea", hex.EncodeToString(tr[:]))
	assert.Equal(t, "158c6e96c230aeed", hex.EncodeToString(ts[:]))
	assert.Equal(t, "1055554813f21bd0", hex.EncodeToString(ss[:]))
}
