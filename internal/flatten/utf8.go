// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package flatten

import "unicode/utf8"

const runeError = utf8.RuneError

// decodeRune decodes the first rune of s without converting s (no allocation).
func decodeRune[S string | []byte](s S) (rune, int) {
	var buf [utf8.UTFMax]byte
	n := copy(buf[:], s[:min(len(s), utf8.UTFMax)])
	return utf8.DecodeRune(buf[:n])
}
