// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package tasker

// RawString returns the string value of key among the top-level members of the JSON
// object raw (a KindRaw value), or "" when raw is not an object, has no such key, or
// its value is not a string. The state machine's step.failed, for one, has the real
// error class only in step_results.error_class (step_state_machine.rb:364-386).
func RawString(raw, key string) string {
	i := skipWS(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return ""
	}
	i = skipWS(raw, i+1)
	for i < len(raw) && raw[i] == '"' {
		k, j, err := readString(raw, i)
		if err != nil {
			return ""
		}
		j = skipWS(raw, j)
		if j >= len(raw) || raw[j] != ':' {
			return ""
		}
		j = skipWS(raw, j+1)
		if k == key {
			v, _, err := readValue(raw, j, 1)
			if err != nil {
				return ""
			}
			return v.Str()
		}
		end, _, err := skipValue(raw, j, 1)
		if err != nil {
			return ""
		}
		i = skipWS(raw, end)
		if i >= len(raw) || raw[i] != ',' {
			return ""
		}
		i = skipWS(raw, i+1)
	}
	return ""
}
