// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package tasker

import (
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"
)

// ParseLogLine parses one line of a Tasker application's log: Tasker's structured
// logging (StructuredLogging#log_structured) in any of its formats — JSON, pretty JSON
// (the lines joined by the caller), logfmt — with or without the Rails logger prefix
// ("I, [2026-11-22T10:00:00.123456 #1234]  INFO -- : {...}") and Rails tags ("[req-1] ").
//
//   - ok: the line is a Tasker structured log; ev holds it. Its Name comes from `event`,
//     or is derived from `entity_type` (see Event.Name); a Tasker log that names no
//     event (a bare log_structured call) has an empty Name.
//   - !ok, err == nil: the line is not Tasker's (any other text, or JSON/logfmt without
//     Tasker's fields): a plain line. ev still carries what the prefix gave (Time, PID,
//     LogSeverity) and Message, the text after the prefix.
//   - err != nil: the line looks structured but is broken (malformed JSON, a bad field);
//     ev is filled as for a plain line, so the caller can keep it as plain text.
//
// The prefix gives the pid, the severity, and the time when the payload has no
// `timestamp` (Ruby writes it without a zone: it is taken as UTC).
//
// Logfmt is Tasker's: `key=value` pairs, strings in double quotes without escaping
// (the closing quote is the one followed by the end of the line or by ` key=`), symbols
// and numbers bare, arrays and hashes in Ruby's inspect form (kept as raw JSON when they
// are JSON, as strings otherwise), nil as an empty value.
func ParseLogLine(line []byte) (ev Event, ok bool, err error) {
	p := Parser{exact: true}
	return p.ParseLogLine(line)
}

// ParseLogLine is the package-level ParseLogLine, with p's payload blocks.
func (p *Parser) ParseLogLine(line []byte) (ev Event, ok bool, err error) {
	return p.parseLine(string(line))
}

// ParseLogLineOwned is ParseLogLine for a line the caller hands over: the event's
// strings point into line itself, not into a copy, so line must never be modified
// afterwards. It saves the copy of every line, one allocation of the line's size
// (BenchmarkParseLogLine/json_prefix/owned: 1.5× the events/s of .../parser, 326
// instead of 806 B per line).
func (p *Parser) ParseLogLineOwned(line []byte) (ev Event, ok bool, err error) {
	return p.parseLine(unsafe.String(unsafe.SliceData(line), len(line)))
}

func (p *Parser) parseLine(s string) (Event, bool, error) {
	end := len(s)
	for end > 0 && (s[end-1] == '\n' || s[end-1] == '\r' || s[end-1] == ' ' || s[end-1] == '\t') {
		end--
	}
	s = s[:end]
	msg := skipBOM(s)
	pre, hasPrefix := parseRailsPrefix(s, msg)
	if hasPrefix {
		msg = pre.msg
	}
	body := skipTags(s, skipSpaces(s, msg))

	var ps parser
	ps.reset(s, true)
	var ev Event
	var perr *ParseError
	structured := false
	switch {
	case body < len(s) && s[body] == '{':
		var j int
		if j, perr = ps.members(body, 0); perr == nil {
			if j = skipWS(s, j); j < len(s) {
				perr = syntaxError(s, j, "unexpected data after the JSON object")
			}
		}
		structured = perr == nil && ps.isTaskerLog()
	case isKeyStart(s, body):
		ps.utf8OK = utf8.ValidString(s[body:]) // once, instead of for every value
		structured = ps.logfmt(body) && ps.isTaskerLog()
	}
	if structured {
		ps.finish(&ev, body)
		perr = ps.err
	}
	if !structured || perr != nil {
		plain := Event{Message: validUTF8(s[msg:])}
		if hasPrefix {
			plain.Time, plain.PID, plain.LogSeverity = pre.time(), pre.pid, pre.sev
		}
		if perr != nil {
			return plain, false, perr
		}
		return plain, false, nil
	}
	ev.Payload = p.keep(&ps)
	if hasPrefix {
		if ev.Time.IsZero() {
			ev.Time = pre.time()
		}
		if ev.PID == 0 {
			ev.PID = pre.pid
		}
		if pre.sev != SeverityUnset {
			ev.LogSeverity = pre.sev // the level the logger actually used
		}
	}
	return ev, true, nil
}

// railsPrefix is what Ruby's Logger::Formatter puts before a message:
// "%.1s, [%s #%d] %5s -- %s: %s" (severity letter, time, pid, severity, progname).
type railsPrefix struct {
	when string // the time, parsed only when the payload has none
	pid  int64
	sev  Severity
	msg  int // offset of the message
}

// time is the prefix's time; zero when Ruby's datetime_format was customized.
func (pre *railsPrefix) time() time.Time {
	t, ok := ParseTime(pre.when)
	if !ok || !InNanoRange(t) {
		return time.Time{}
	}
	return t
}

func parseRailsPrefix(s string, i int) (railsPrefix, bool) {
	var pre railsPrefix
	r := s[i:]
	if len(r) < 8 || r[1] != ',' || r[2] != ' ' || r[3] != '[' || strings.IndexByte("DIWEFAU", r[0]) < 0 {
		return pre, false
	}
	closing := strings.IndexByte(r, ']')
	if closing < 0 {
		return pre, false
	}
	inner := r[4:closing] // "2026-11-22T10:00:00.123456 #1234"
	hash := strings.LastIndex(inner, " #")
	if hash < 0 {
		return pre, false
	}
	pid, ok := atoi64(inner[hash+2:])
	if !ok || pid < 0 {
		return pre, false
	}
	pre.pid = pid
	pre.when = inner[:hash]
	rest := skipSpaces(r, closing+1)
	word := rest
	for word < len(r) && r[word] != ' ' {
		word++
	}
	sev, _ := ParseSeverity(r[rest:word]) // ANY and UNKNOWN: unset
	pre.sev = sev
	if !strings.HasPrefix(r[word:], " -- ") {
		return railsPrefix{}, false
	}
	colon := strings.IndexByte(r[word+4:], ':') // after the progname
	if colon < 0 {
		return railsPrefix{}, false
	}
	m := word + 4 + colon + 1
	if m < len(r) && r[m] == ' ' {
		m++
	}
	pre.msg = i + m
	return pre, true
}

func skipSpaces(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// skipTags skips Rails TaggedLogging tags ("[tag] [tag] ") when a structured payload
// follows them.
func skipTags(s string, i int) int {
	j := i
	for j < len(s) && s[j] == '[' {
		k := strings.IndexByte(s[j:], ']')
		if k < 0 || j+k+1 >= len(s) || s[j+k+1] != ' ' {
			return i
		}
		j = skipSpaces(s, j+k+1)
	}
	if j < len(s) && (s[j] == '{' || isKeyStart(s, j)) {
		return j
	}
	return i
}

// keyChars are the bytes of a logfmt key: letters, digits, _ . - @.
var keyChars = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '_' || c == '.' || c == '-' || c == '@'
	}
	return t
}()

func isKeyChar(c byte) bool { return keyChars[c] }

// keyEnd returns the end of the logfmt key at s[i], or i if there is none.
func keyEnd(s string, i int) int {
	j := i
	for j < len(s) && isKeyChar(s[j]) {
		j++
	}
	return j
}

// isKeyStart reports whether s[i:] starts with `key=`.
func isKeyStart(s string, i int) bool {
	j := keyEnd(s, i)
	return j > i && j < len(s) && s[j] == '='
}

// logfmt reads the logfmt pairs from s[i] to the end of the line; false if the text is
// not logfmt.
func (ps *parser) logfmt(i int) bool {
	s := ps.s
	for {
		i = skipSpaces(s, i)
		if i >= len(s) {
			return true
		}
		k := keyEnd(s, i)
		if k == i || k >= len(s) || s[k] != '=' {
			return false
		}
		key := s[i:k]
		i = k + 1
		start := i
		var v Value
		switch {
		case i < len(s) && s[i] == '"':
			end := closingQuote(s, i)
			if end < 0 {
				return false
			}
			v = StringValue(ps.text(s[i+1 : end]))
			i = end + 1
		case i < len(s) && (s[i] == '[' || s[i] == '{'):
			if end := matchBracket(s, i); end > 0 {
				text := s[i:end]
				if strings.Contains(text, "=>") {
					v = StringValue(ps.text(text)) // Ruby's inspect of a Hash: `{"a"=>1}`
				} else if _, ws, err := skipValue(text, 0, 0); err == nil {
					if ws {
						text = compactJSON(text)
					}
					v = RawValue(ps.text(text))
				} else {
					v = StringValue(ps.text(text)) // not JSON: kept as text
				}
				i = end
				break
			}
			fallthrough
		default:
			end := i
			for end < len(s) && s[end] != ' ' && s[end] != '\t' {
				end++
			}
			v = ps.bareValue(s[i:end])
			i = end
		}
		ps.assign(key, v, start)
	}
}

// text returns a logfmt value with invalid UTF-8 replaced.
func (ps *parser) text(v string) string {
	if ps.utf8OK {
		return v
	}
	return validUTF8(v)
}

// closingQuote finds the quote that closes the logfmt string opening at s[i]: Tasker
// does not escape quotes inside values, so it is the first quote followed by the end
// of the line or by spaces and `key=`. -1 if there is none.
func closingQuote(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		k := strings.IndexByte(s[j:], '"')
		if k < 0 {
			return -1
		}
		j += k
		if j+1 == len(s) {
			return j
		}
		if s[j+1] == ' ' || s[j+1] == '\t' {
			k := skipSpaces(s, j+1)
			if k == len(s) || isKeyStart(s, k) {
				return j
			}
		}
	}
	return -1
}

// matchBracket returns the end of the bracketed value at s[i] ('[' or '{'), which must
// be followed by a space or the end of the line; 0 if there is none.
func matchBracket(s string, i int) int {
	depth := 0
	inStr := false
	for j := i; j < len(s); j++ {
		c := s[j]
		if inStr {
			if c == '\\' {
				j++
			} else if c == '"' {
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				if j+1 == len(s) || s[j+1] == ' ' || s[j+1] == '\t' {
					return j + 1
				}
				return 0
			}
		}
	}
	return 0
}

// bareValue types an unquoted logfmt value: empty (Ruby nil) is null, true/false are
// booleans, JSON number literals are numbers, anything else (symbols) a string.
func (ps *parser) bareValue(tok string) Value {
	switch tok {
	case "":
		return Value{}
	case "true":
		return BoolValue(true)
	case "false":
		return BoolValue(false)
	}
	if c := tok[0]; c == '-' || isDigit(c) {
		if end, isInt := numberEnd(tok, 0); end == len(tok) {
			if v, ok := numberValue(tok, isInt); ok {
				return v
			}
		}
	}
	return StringValue(ps.text(tok))
}
