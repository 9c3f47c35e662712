// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package tasker

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRawString(t *testing.T) {
	// step_results as the executor stores them (step_executor.rb:498-504).
	raw := `{"error":"card declined","backtrace":"a.rb:1\nb.rb:2","error_class":"Payments::Declined"}`
	assert.Equal(t, "Payments::Declined", RawString(raw, "error_class"))
	assert.Equal(t, "card declined", RawString(raw, "error"))
	assert.Equal(t, "", RawString(raw, "missing"))
	assert.Equal(t, "", RawString(`{"error_class":1}`, "error_class"))
	assert.Equal(t, "", RawString(`["error_class"]`, "error_class"))
	assert.Equal(t, "", RawString(`{"a":{"error_class":"X"}}`, "error_class"), "top level only")
	assert.Equal(t, "", RawString(`{"a":`, "error_class"))
}
