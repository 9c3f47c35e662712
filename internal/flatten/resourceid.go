// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package flatten

import (
	"encoding/hex"
	"hash/fnv"
	"slices"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// ResourceID appends the identity of a resource's attribute set: 16 lower-case hex
// digits of the FNV-1a 64 hash of the attributes sorted by key (key, NUL, the value as
// JSON, NUL), so the same attributes in any order, in any process, give the same id.
// keys is scratch space, returned for reuse.
func ResourceID(dst []byte, attrs pcommon.Map, keys []string, scratch []byte) ([]byte, []string, []byte) {
	keys = keys[:0]
	for k := range attrs.All() {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	h := fnv.New64a()
	for _, k := range keys {
		v, _ := attrs.Get(k)
		scratch = append(append(scratch[:0], k...), 0)
		scratch = append(AppendJSONValue(scratch, v), 0)
		_, _ = h.Write(scratch)
	}
	var sum [8]byte
	return hex.AppendEncode(dst, h.Sum(sum[:0])), keys, scratch
}
