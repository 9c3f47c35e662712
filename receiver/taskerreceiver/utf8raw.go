// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"strings"
	"unicode/utf8"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/fileconsumer"
	"golang.org/x/text/encoding/unicode"
)

// UTF-8 lines are checked here, not decoded by the fileconsumer. With encoding utf-8
// the fileconsumer passes every token through x/text's UTF-8 decoder, which copies it
// rune by rune to replace invalid bytes: about 470 ns of a 437-byte line, serial on
// the reader's goroutine (BenchmarkFileTail profile, 8% of the CPU of tasker_logs_all).
// Its utf-8-raw encoding copies the token without looking at it (same split, same
// trim); the few invalid tokens then go through the very decoder the fileconsumer
// would have used, so the lines are byte for byte the same.

// rawUTF8 reports whether the file input may read with utf-8-raw and check lines
// itself: the encoding is one the fileconsumer decodes with unicode.UTF8, and nothing
// else uses the encoding differently (a header is decoded with it; a multiline
// pattern split looks at whether it is unicode.UTF8).
func rawUTF8(c *fileconsumer.Config) bool {
	switch strings.ToLower(c.Encoding) {
	case "", "utf-8", "utf8", "ascii", "us-ascii":
	default:
		return false
	}
	return c.Header == nil && c.SplitConfig.LineStartPattern == "" && c.SplitConfig.LineEndPattern == ""
}

// validTokens is tokens as the UTF-8 decoder would have made them: an invalid token
// is decoded (each invalid byte becomes U+FFFD), one the decoder refuses is left out
// (the fileconsumer skips a token that fails to decode; this decoder never fails).
func validTokens(tokens [][]byte) [][]byte {
	out := tokens[:0]
	for _, t := range tokens {
		if !utf8.Valid(t) {
			d, err := unicode.UTF8.NewDecoder().Bytes(t)
			if err != nil {
				continue
			}
			t = d
		}
		out = append(out, t)
	}
	return out
}
