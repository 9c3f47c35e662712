// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package ndjson

import (
	"encoding/hex"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

func appendUint(b []byte, v uint64) []byte { return strconv.AppendUint(b, v, 10) }
func appendInt(b []byte, v int64) []byte   { return strconv.AppendInt(b, v, 10) }

func appendHex(b []byte, id pcommon.TraceID) []byte    { return hex.AppendEncode(b, id[:]) }
func appendHexSpan(b []byte, id pcommon.SpanID) []byte { return hex.AppendEncode(b, id[:]) }
