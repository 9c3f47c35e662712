// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package flatten

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

// jsonStrings are edge cases and random byte strings, some with long runs of printable ASCII (invalid UTF-8, control bytes,
// HTML characters, line separators).
func jsonStrings() []string {
	out := []string{"", "plain", `q"b\s`, "<a&b>", "\x00\x1f\x7f\n\r\t", "\u2028\u2029", "é漢🙂", "\xff\xfe", "a\xe2\x80"}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "\"", "\\", "<", ">", "&", "\n", "\x01", "é", "\u2028", "\xff", "\xe2\x80", "🙂"}
	for n := range 4000 {
		var b strings.Builder
		for range rng.IntN(12 + n%40) {
			if n%2 == 1 && rng.IntN(8) != 0 {
				b.WriteByte(byte(0x20 + rng.IntN(0x60))) // long safe runs, the 8-byte path
				continue
			}
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		out = append(out, b.String())
	}
	return out
}

// TestAppendJSONString: the escaper writes what encoding/json writes, with and
// without its HTML-safe escapes (the plain one also leaves U+2028/2029 as they are,
// as Ruby's JSON.generate does).
func TestAppendJSONString(t *testing.T) {
	for _, s := range jsonStrings() {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendJSONString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Errorf("AppendJSONString(%q) = %s, want x%s", s, got, want)
		}
		if got := AppendJSONStringBytes(nil, []byte(s)); string(got) != string(want) {
			t.Errorf("AppendJSONStringBytes(%q) = %s, want %s", s, got, want)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		plain := strings.NewReplacer(`\u2028`, "\u2028", `\u2029`, "\u2029").Replace(strings.TrimSuffix(buf.String(), "\n"))
		if got := AppendJSONStringPlain(nil, s); string(got) != plain {
			t.Errorf("AppendJSONStringPlain(%q) = %s, want %s", s, got, plain)
		}
	}
}
