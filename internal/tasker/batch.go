// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package tasker

import "strings"

// ParseBatch parses an HTTP request body of events: one JSON object, a JSON array of
// objects, or NDJSON (objects separated by newlines; blank lines are skipped). fn is
// called once per item, in order, with its 0-based index and either the event or a
// *ParseError for that item alone, so a caller can keep the valid items of a request
// and reject the others (partial success).
//
// ParseBatch itself returns a *ParseError, with line and column, when the body as a
// whole cannot be read: empty, not JSON, or a JSON array with a syntax error. The items
// of an array are delivered only once the whole array has been read, so fn is then never
// called. An NDJSON line with a syntax error is only that item's error; parsing resumes
// at the next line.
//
// The strings of every event share one copy of body.
func ParseBatch(body []byte, fn func(index int, ev Event, err error)) error {
	var p Parser
	return p.ParseBatch(body, fn)
}

// ParseBatch is the package-level ParseBatch, with p's payload blocks.
func (p *Parser) ParseBatch(body []byte, fn func(index int, ev Event, err error)) error {
	s := string(body)
	i := skipWS(s, skipBOM(s))
	if i >= len(s) {
		return newError(s, -1, "", "empty body")
	}
	var ps parser
	switch s[i] {
	case '[':
		return p.array(s, i, &ps, fn)
	case '{':
		return p.stream(s, i, &ps, fn)
	}
	if _, _, err := skipValue(s, i, 0); err != nil {
		return err
	}
	return newError(s, i, "", "body must be a JSON object, a JSON array of objects or NDJSON")
}

// array parses the items of a JSON array in one pass, holding their results until the
// closing bracket: a syntax error anywhere rejects the body before any item is delivered.
func (p *Parser) array(s string, i int, ps *parser, fn func(int, Event, error)) error {
	pending := p.pending[:0]
	if cap(pending) == 0 {
		// A guess from the body size (Tasker events are a few hundred bytes), so that
		// a one-off Parser grows the buffer once or twice.
		pending = make([]result, 0, min(max(len(s)/320, 8), 1024))
	}
	defer func() {
		clear(pending) // drop the references to this body
		p.pending = pending[:0]
	}()
	j := skipWS(s, i+1)
	if j < len(s) && s[j] == ']' {
		j++
	} else {
		for {
			if j >= len(s) {
				return eofError(s)
			}
			if s[j] == '{' {
				ps.reset(s, false)
				pending = append(pending, result{})
				r := &pending[len(pending)-1]
				next, err := p.object(ps, j, &r.ev)
				if err != nil && isSyntax(err) {
					return err
				}
				r.err = err
				j = next
			} else {
				next, _, err := skipValue(s, j, 1)
				if err != nil {
					return err
				}
				pending = append(pending, result{err: newError(s, j, "", "item must be a JSON object, got "+describeAt(s[j]))})
				j = next
			}
			j = skipWS(s, j)
			if j >= len(s) {
				return eofError(s)
			}
			if s[j] == ']' {
				j++
				break
			}
			if s[j] != ',' {
				return syntaxError(s, j, "expected ',' or ']' after array element")
			}
			j = skipWS(s, j+1)
		}
	}
	if j = skipWS(s, j); j < len(s) {
		return syntaxError(s, j, "unexpected data after the JSON array")
	}
	for index := range pending {
		deliver(fn, index, pending[index].ev, pending[index].err)
	}
	return nil
}

// result is an item of an array, parsed and waiting for the end of the array.
type result struct {
	ev  Event
	err *ParseError
}

// describeAt names the type of the JSON value that starts with c.
func describeAt(c byte) string {
	switch c {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// stream parses objects separated by whitespace (NDJSON, or one object).
func (p *Parser) stream(s string, i int, ps *parser, fn func(int, Event, error)) error {
	for index := 0; ; index++ {
		i = skipWS(s, i)
		if i >= len(s) {
			return nil
		}
		if s[i] != '{' {
			err := lineError(s, i)
			fn(index, Event{}, err)
			i = nextLine(s, i)
			continue
		}
		ps.reset(s, false)
		var ev Event
		next, err := p.object(ps, i, &ev)
		if err != nil && isSyntax(err) {
			fn(index, Event{}, err)
			i = nextLine(s, i)
			continue
		}
		deliver(fn, index, ev, err)
		i = next
	}
}

// lineError explains an NDJSON line that does not start an object.
func lineError(s string, i int) *ParseError {
	line := s[i:nextLine(s, i)]
	if _, _, err := skipValue(line, 0, 0); err != nil {
		return syntaxError(s, i+err.Offset, strings.TrimPrefix(err.Message, "invalid JSON: "))
	}
	return newError(s, i, "", "item must be a JSON object, got "+describeAt(s[i]))
}

func nextLine(s string, i int) int {
	if k := strings.IndexByte(s[i:], '\n'); k >= 0 {
		return i + k + 1
	}
	return len(s)
}

// deliver calls fn with a nil error interface when err is nil.
func deliver(fn func(int, Event, error), index int, ev Event, err *ParseError) {
	if err != nil {
		fn(index, Event{}, err)
		return
	}
	fn(index, ev, nil)
}
