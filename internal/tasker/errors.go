// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package tasker

import (
	"strconv"
	"strings"
)

// ParseError is the error every parse function returns: what is wrong, in which field,
// and where. An HTTP receiver answers a rejected item with {index, field, message}
// from it.
type ParseError struct {
	// Field is the key of the offending field, prefixed with "payload." for a key of a
	// nested payload object; empty for errors of the JSON syntax or of the body.
	Field string
	// Message says what is wrong, without the field or the position.
	Message string
	// Offset is the byte offset in the parsed input (for ParseBatch, in the body) where
	// the problem is; -1 if there is no position.
	Offset int
	// Line and Column (1-based, Column in bytes) are Offset's position; 0 if none.
	Line, Column int
}

// Error returns "field: message (line L, column C)", leaving out what is empty.
func (e *ParseError) Error() string {
	var b strings.Builder
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if e.Line > 0 {
		b.WriteString(" (line ")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(", column ")
		b.WriteString(strconv.Itoa(e.Column))
		b.WriteByte(')')
	}
	return b.String()
}

// newError builds a ParseError at offset off of s (off < 0: no position).
func newError(s string, off int, field, msg string) *ParseError {
	e := &ParseError{Field: field, Message: msg, Offset: -1}
	if off >= 0 {
		if off > len(s) {
			off = len(s)
		}
		e.Offset = off
		e.Line = 1 + strings.Count(s[:off], "\n")
		e.Column = off - (strings.LastIndexByte(s[:off], '\n') + 1) + 1
	}
	return e
}

// describe names the JSON type of v for error messages.
func describe(v Value) string {
	switch v.kind {
	case KindNull:
		return "null"
	case KindString:
		return "a string"
	case KindInt, KindFloat:
		return "a number"
	case KindBool:
		return "a boolean"
	case KindRaw:
		if strings.HasPrefix(v.str, "[") {
			return "an array"
		}
		return "an object"
	}
	return "a value"
}

// quoteShort quotes s for an error message, cut to 64 bytes.
func quoteShort(s string) string {
	if len(s) > 64 {
		return strconv.Quote(s[:64]) + "…"
	}
	return strconv.Quote(s)
}
