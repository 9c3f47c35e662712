// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package flatten

import "unicode/utf8"

const runeError = utf8.RuneError

func decodeRune(s string) (rune, int) { return utf8.DecodeRuneInString(s) }
