// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package flatten

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestResourceID(t *testing.T) {
	id := func(kv ...string) string {
		m := pcommon.NewMap()
		for i := 0; i < len(kv); i += 2 {
			m.PutStr(kv[i], kv[i+1])
		}
		b, _, _ := ResourceID(nil, m, nil, nil)
		return string(b)
	}
	a := id("service.name", "tasker", "process.pid", "4242")
	assert.Len(t, a, 16)
	assert.Equal(t, a, id("process.pid", "4242", "service.name", "tasker"), "order does not matter")
	assert.NotEqual(t, a, id("service.name", "tasker"), "another attribute set")
	assert.NotEqual(t, id("a", "b\x00c"), id("a\x00b", "c"), "keys and values cannot run into each other")
	assert.Equal(t, "cbf29ce484222325", id(), "no attributes: the FNV offset basis")
	m := pcommon.NewMap()
	m.PutInt("n", 1)
	s := pcommon.NewMap()
	s.PutStr("n", "1")
	bi, _, _ := ResourceID(nil, m, nil, nil)
	bs, _, _ := ResourceID(nil, s, nil, nil)
	assert.NotEqual(t, string(bi), string(bs), "1 and \"1\" differ")
}
