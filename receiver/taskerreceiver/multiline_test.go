// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestJoinSplit(t *testing.T) {
	const p = "I, [2026-01-10T10:00:00.000000 #1]  INFO -- : "
	tests := []struct {
		name, in string
		want     []string
	}{
		{"prefixed lines", p + "a\n" + p + "b\n", []string{p + "a", p + "b"}},
		{"continuations join the entry above", p + "a (2 steps,\n    100.0% complete)\n" + p + "b\n",
			[]string{p + "a (2 steps,\n    100.0% complete)", p + "b"}},
		{"a backtrace", "E, [2026-01-10T10:00:00.000000 #1] ERROR -- : Error performing X:\n/a.rb:1\n/b.rb:2\n",
			[]string{"E, [2026-01-10T10:00:00.000000 #1] ERROR -- : Error performing X:\n/a.rb:1\n/b.rb:2"}},
		{"pretty_json behind the prefix and tags", p + "[ActiveJob] [J] {\n  \"a\": 1\n}\n" + p + "x\n",
			[]string{p + "[ActiveJob] [J] {\n  \"a\": 1\n}", p + "x"}},
		{"pretty_json without a prefix", "{\n  \"a\": 1\n}\n{\n  \"b\": [\n    1\n  ]\n}\n",
			[]string{"{\n  \"a\": 1\n}", "{\n  \"b\": [\n    1\n  ]\n}"}},
		{"pretty_json with tags, no prefix", "[ActiveJob] [J] {\n  \"a\": 1\n}\nplain\n",
			[]string{"[ActiveJob] [J] {\n  \"a\": 1\n}", "plain"}},
		{"lines without any prefix stand alone", "a\nb\r\n{\"c\":1}\n", []string{"a", "b", `{"c":1}`}},
		{"a partial last line waits", p + "a\n" + p + "b", []string{p + "a"}},
	}
	for _, tt := range tests {
		var got []string
		for _, tok := range splitEntries(t, tt.in) {
			got = append(got, string(tok))
		}
		assert.Equal(t, tt.want, got, tt.name)
	}
	assert.False(t, opensObject([]byte("[x]{")))
	assert.False(t, opensObject([]byte("{ ")))
}
