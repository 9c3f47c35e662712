// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Tasker's Prometheus dialects (tasker-reference §6), parsed leniently:
//   - its scrape text (`/tasker/metrics`): HELP/TYPE comments, no timestamps, labeled
//     metrics rendered with their registry key as the name
//     (`x{"status"=>"ok"}{status="ok"} 1`), `le="Infinity"`, and an error metric whose
//     timestamp is in float seconds;
//   - its "remote write" text (MetricsExportService): no HELP/TYPE, `<prefix>_<key>_total
//     <value> <ms>` (so `…_total_total`), labels inside the key in Ruby's inspect form.
// Standard exposition text parses too.

// promSample is one sample line.
type promSample struct {
	name   string
	labels []kv // sorted by key
	value  float64
	ts     int64 // milliseconds since the epoch; 0 when the line has none
}

// promText is a parsed body: samples in order, and the TYPE of each family named.
type promText struct {
	samples []promSample
	types   map[string]string
}

// lineError is a malformed line (1-based).
type lineError struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
	Text    string `json:"text,omitempty"`
}

// parsePromText parses body; malformed lines are reported and skipped.
func parsePromText(body string) (promText, []lineError) {
	out := promText{types: map[string]string{}}
	var errs []lineError
	for n, line := range strings.Split(body, "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			f := strings.Fields(line)
			if len(f) >= 4 && f[1] == "TYPE" {
				name, _, _, err := parseSeriesName(f[2])
				if err == nil {
					out.types[name] = strings.ToLower(f[3])
				}
			}
			continue
		}
		s, err := parseSampleLine(line)
		if err != nil {
			text := line
			if len(text) > 200 {
				text = text[:200]
			}
			errs = append(errs, lineError{Line: n + 1, Message: err.Error(), Text: text})
			continue
		}
		out.samples = append(out.samples, s)
	}
	return out, errs
}

func parseSampleLine(line string) (promSample, error) {
	name, labels, rest, err := parseSeriesName(line)
	if err != nil {
		return promSample{}, err
	}
	f := strings.Fields(rest)
	if len(f) == 0 {
		return promSample{}, errors.New("no value")
	}
	if len(f) > 2 {
		return promSample{}, fmt.Errorf("unexpected %q after the value and timestamp", strings.Join(f[2:], " "))
	}
	v, err := parsePromFloat(f[0])
	if err != nil {
		return promSample{}, fmt.Errorf("bad value %q", f[0])
	}
	s := promSample{name: name, labels: labels, value: v}
	if len(f) == 2 {
		ts, err := parsePromTimestamp(f[1])
		if err != nil {
			return promSample{}, err
		}
		s.ts = ts
	}
	return s, nil
}

// parsePromTimestamp reads milliseconds (the standard), or float seconds (Tasker's
// error metric: `1752440375.123`).
func parsePromTimestamp(s string) (int64, error) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		if i > 0 && i < 100_000_000_000 { // before 1973 in ms: seconds
			return i * 1000, nil
		}
		return i, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("bad timestamp %q", s)
	}
	if f < 100_000_000_000 {
		return int64(math.Round(f * 1000)), nil
	}
	return int64(f), nil
}

func parsePromFloat(s string) (float64, error) {
	switch strings.ToLower(s) {
	case "+inf", "inf", "infinity", "+infinity":
		return math.Inf(1), nil
	case "-inf", "-infinity":
		return math.Inf(-1), nil
	case "nan":
		return math.NaN(), nil
	}
	return strconv.ParseFloat(s, 64)
}

func isNameByte(c byte) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// parseSeriesName reads a name with its label groups from the start of s: name parts
// and `{...}` groups in any order (`x{"status"=>"ok"}_total`, `x{"s"=>"ok"}{s="ok"}`),
// and returns the name (a doubled `_total` made single), the labels (a later group wins)
// and the rest of s.
func parseSeriesName(s string) (string, []kv, string, error) {
	var name strings.Builder
	var labels []kv
	i := 0
	for i < len(s) {
		switch c := s[i]; {
		case isNameByte(c):
			name.WriteByte(c)
			i++
		case c == '{':
			n, got, err := parseLabelGroup(s[i:])
			if err != nil {
				return "", nil, "", err
			}
			labels = mergeLabels(labels, got)
			i += n
		default:
			goto done
		}
	}
done:
	if name.Len() == 0 {
		return "", nil, "", errors.New("missing metric name")
	}
	if c := name.String()[0]; c >= '0' && c <= '9' {
		return "", nil, "", fmt.Errorf("metric name %q starts with a digit", name.String())
	}
	n := name.String()
	for strings.HasSuffix(n, "_total_total") {
		n = strings.TrimSuffix(n, "_total")
	}
	sort.Slice(labels, func(a, b int) bool { return labels[a].k < labels[b].k })
	return n, labels, s[i:], nil
}

func mergeLabels(have, add []kv) []kv {
	for _, a := range add {
		replaced := false
		for j := range have {
			if have[j].k == a.k {
				have[j].v, replaced = a.v, true
			}
		}
		if !replaced {
			have = append(have, a)
		}
	}
	return have
}

// parseLabelGroup reads `{k="v",…}` or Ruby's inspect `{"k"=>"v", …}` at the start of s
// and returns its length.
func parseLabelGroup(s string) (int, []kv, error) {
	var out []kv
	i := 1
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == ',') {
			i++
		}
		if i >= len(s) {
			return 0, nil, errors.New("unterminated label set")
		}
		if s[i] == '}' {
			return i + 1, out, nil
		}
		var key string
		if s[i] == '"' {
			k, n, err := readQuoted(s[i:])
			if err != nil {
				return 0, nil, err
			}
			key, i = k, i+n
		} else {
			j := i
			for j < len(s) && isNameByte(s[j]) {
				j++
			}
			if j == i {
				return 0, nil, fmt.Errorf("bad label name at %q", clip(s[i:]))
			}
			key, i = s[i:j], j
		}
		for i < len(s) && s[i] == ' ' {
			i++
		}
		switch {
		case strings.HasPrefix(s[i:], "=>"):
			i += 2
		case strings.HasPrefix(s[i:], "="):
			i++
		default:
			return 0, nil, fmt.Errorf("label %q: expected = or =>", key)
		}
		for i < len(s) && s[i] == ' ' {
			i++
		}
		var val string
		if i < len(s) && s[i] == '"' {
			v, n, err := readQuoted(s[i:])
			if err != nil {
				return 0, nil, err
			}
			val, i = v, i+n
		} else { // Ruby inspect of a number, symbol or nil
			j := i
			for j < len(s) && s[j] != ',' && s[j] != '}' {
				j++
			}
			val, i = strings.TrimSpace(s[i:j]), j
			if val == "nil" {
				val = ""
			}
		}
		if key == "le" {
			if f, err := parsePromFloat(val); err == nil && math.IsInf(f, 1) {
				val = "+Inf"
			}
		}
		out = append(out, kv{key, val})
	}
}

// readQuoted reads a double-quoted string with \" \\ \n escapes; n is its length.
func readQuoted(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), i + 1, nil
		case '\\':
			if i+1 >= len(s) {
				return "", 0, errors.New("unterminated string")
			}
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			default:
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, errors.New("unterminated string")
}

func clip(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}
