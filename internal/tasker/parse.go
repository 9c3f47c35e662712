// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package tasker

// Parser parses events, batches and log lines. Its zero value is ready to use. It carves
// the Payload slices of the events it returns out of shared blocks, which saves an
// allocation per event when parsing many; an event's Payload then keeps its block
// alive. A Parser never reuses memory it has handed out, so events stay valid; it is not
// safe for concurrent use. The package-level functions use a Parser that allocates each
// payload to size.
type Parser struct {
	block   []Field
	pending []result // the items of an array body, until its end (reused)
	exact   bool
}

// blockFields is the size of a payload block (about 6 KiB: a few dozen events).
const blockFields = 128

// keep copies the payload fields collected by ps to memory the event can own.
func (p *Parser) keep(ps *parser) []Field {
	n := ps.n + len(ps.more)
	if n == 0 {
		return nil
	}
	var out []Field
	if p.exact || n > blockFields/2 {
		out = make([]Field, n)
	} else {
		if len(p.block) < n {
			p.block = make([]Field, blockFields)
		}
		out = p.block[:n:n] // full slice expression: appending to out never touches the block
		p.block = p.block[n:]
	}
	copy(out[copy(out, ps.buf[:ps.n]):], ps.more)
	return out
}

// ParseEvent parses one Tasker event payload: a JSON object with the event name in
// `event` (or `event_name`, or `name`) and the payload fields, at the top level or in a
// nested `payload` object. See Event for the fields it recognizes; all others end up in
// Event.Payload. The error, if any, is a *ParseError.
func ParseEvent(data []byte) (Event, error) {
	p := Parser{exact: true}
	return p.ParseEvent(data)
}

// ParseEvent is the package-level ParseEvent, with p's payload blocks.
func (p *Parser) ParseEvent(data []byte) (Event, error) {
	s := string(data) // the one copy: every string of the event is a substring of s
	var ps parser
	ps.reset(s, false)
	i := skipWS(s, skipBOM(s))
	if i >= len(s) {
		return Event{}, newError(s, -1, "", "empty input")
	}
	if s[i] != '{' {
		if _, _, err := skipValue(s, i, 0); err != nil {
			return Event{}, err
		}
		return Event{}, newError(s, i, "", "expected a JSON object")
	}
	var ev Event
	end, err := p.object(&ps, i, &ev)
	if err != nil {
		return Event{}, err
	}
	if j := skipWS(s, end); j < len(s) {
		return Event{}, syntaxError(s, j, "unexpected data after the JSON object")
	}
	return ev, nil
}

func skipBOM(s string) int {
	if len(s) >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF {
		return 3
	}
	return 0
}

// object parses the event object at ps.s[i] == '{' (ps already reset) into *ev, which
// must be zero, and returns the offset after the object. A syntax error leaves end where
// the syntax broke; a field error returns end after the object. On error *ev is reset.
func (p *Parser) object(ps *parser, i int, ev *Event) (end int, err *ParseError) {
	end, err = ps.members(i, 0)
	if err != nil {
		return end, err
	}
	ps.finish(ev, i)
	if ps.err != nil {
		*ev = Event{}
		return end, ps.err
	}
	ev.Payload = p.keep(ps)
	return end, nil
}

// isSyntax tells a JSON syntax error (after which the end of the object is unknown)
// from a field error.
func isSyntax(err *ParseError) bool { return err.Field == "" }

// members reads the object at ps.s[i] == '{', assigning its fields; the members of a
// `payload` object at the top level are read as if they were top-level ones.
func (ps *parser) members(i, depth int) (int, *ParseError) {
	s := ps.s
	i = skipWS(s, i+1)
	if i < len(s) && s[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(s) {
			return i, eofError(s)
		}
		if s[i] != '"' {
			return i, syntaxError(s, i, "expected a string key")
		}
		key, j, err := readString(s, i)
		if err != nil {
			return j, err
		}
		j = skipWS(s, j)
		if j >= len(s) {
			return j, eofError(s)
		}
		if s[j] != ':' {
			return j, syntaxError(s, j, "expected ':' after object key")
		}
		j = skipWS(s, j+1)
		if key == "payload" && !ps.nested && j < len(s) && s[j] == '{' {
			ps.nested = true
			j, err = ps.members(j, depth+1)
			ps.nested = false
		} else {
			var v Value
			start := j
			if v, j, err = readValue(s, j, depth+1); err == nil {
				ps.assign(key, v, start)
			}
		}
		if err != nil {
			return j, err
		}
		j = skipWS(s, j)
		switch {
		case j >= len(s):
			return j, eofError(s)
		case s[j] == ',':
			i = skipWS(s, j+1)
		case s[j] == '}':
			return j + 1, nil
		default:
			return j, syntaxError(s, j, "expected ',' or '}' after object value")
		}
	}
}
