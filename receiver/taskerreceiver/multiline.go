// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"bufio"
	"bytes"
	"strings"
)

// Multi-line entries of Tasker applications' logs (tasker-reference §7.1): Ruby's
// Logger writes a message with newlines as it is, in one write, and puts the
// "I, [time #pid]  INFO -- : " prefix (and the tags) on its first line only. So the
// TaskFinalizer's two-line message (task_finalizer.rb:109-110), ActiveJob's give-up
// line followed by its backtrace, and every pretty_json entry continue on lines
// without the prefix. joinSplit makes one token of each entry:
//   - a line with the Rails prefix starts an entry that runs to the next line with the
//     prefix; at the current end of the file it ends at the last newline (the logger
//     wrote it whole), and a partial last line waits for its end (or force_flush_period);
//   - a line that is "{", after Rails tags if any (pretty_json without a prefix), runs
//     to the line "}";
//   - any other line is an entry of its own.
// Enabled by `logs.join_continuations` (default true) when `multiline` is not set.

// hasRailsPrefix reports whether b starts like Logger::Formatter's prefix: a severity
// letter, ", [".
func hasRailsPrefix(b []byte) bool {
	return len(b) >= 4 && b[1] == ',' && b[2] == ' ' && b[3] == '[' && strings.IndexByte("DIWEFAU", b[0]) >= 0
}

func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// joinSplit is the bufio.SplitFunc described above.
func joinSplit(data []byte, atEOF bool) (advance int, token []byte, err error) {
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 {
		return 0, nil, nil // the line is not complete yet
	}
	first := trimEOL(data[:nl])
	switch {
	case hasRailsPrefix(first):
		for i := nl + 1; ; {
			if i >= len(data) {
				if atEOF {
					return len(data), trimEOL(data), nil
				}
				return 0, nil, nil
			}
			if hasRailsPrefix(data[i:]) {
				return i, trimEOL(data[:i]), nil
			}
			j := bytes.IndexByte(data[i:], '\n')
			if j < 0 {
				return 0, nil, nil // a continuation line being written
			}
			i += j + 1
		}
	case opensObject(first):
		for i := nl + 1; i < len(data); {
			j := bytes.IndexByte(data[i:], '\n')
			if j < 0 {
				return 0, nil, nil
			}
			if line := trimEOL(data[i : i+j]); len(line) == 1 && line[0] == '}' {
				return i + j + 1, data[:i+j], nil
			}
			i += j + 1
		}
		return 0, nil, nil
	}
	return nl + 1, first, nil
}

var _ bufio.SplitFunc = joinSplit

// opensObject: the line is "{", or Rails tags ("[ActiveJob] [...] ") then "{".
func opensObject(line []byte) bool {
	for len(line) > 0 && line[0] == '[' {
		end := bytes.IndexByte(line, ']')
		if end < 0 || end+1 >= len(line) || line[end+1] != ' ' {
			return false
		}
		line = bytes.TrimLeft(line[end+1:], " ")
	}
	return len(line) == 1 && line[0] == '{'
}

// joinableEncoding: joinSplit reads bytes as UTF-8 (or ASCII).
func joinableEncoding(enc string) bool {
	switch strings.ToLower(enc) {
	case "", "utf-8", "utf8", "ascii", "us-ascii":
		return true
	}
	return false
}
