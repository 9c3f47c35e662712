// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"bytes"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
)

// spanEventAttrs are the attributes e has once emitted.
func spanEventAttrs(b *builder, e *spanEvent) pcommon.Map {
	span := ptrace.NewSpan()
	b.appendSpanEvent(span, e)
	return span.Events().At(0).Attributes()
}

// TestSpanEventOwnedSameAttributes: a span event copied out of its input (an open span
// past its call) emits exactly what it emits while it points into the input, and its
// strings no longer share the input's memory.
func TestSpanEventOwnedSameAttributes(t *testing.T) {
	b := testBuilder(t, nil)
	n, withPayload, withStack := 0, 0, 0
	for _, name := range []string{"events/backoff_retry.ndjson", "events/custom.ndjson", "events/missing_starts.ndjson"} {
		for _, line := range bytes.Split(readFixture(t, name), []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			ev, err := tasker.ParseEvent(line)
			require.NoError(t, err)
			for _, attempt := range []int64{0, 2} {
				in := newSpanEvent(&ev, time.Unix(100, 5), attempt)
				owned := in
				b.own(&owned)
				assert.True(t, owned.owned)
				assert.Equal(t, spanEventAttrs(b, &in).AsRaw(), spanEventAttrs(b, &owned).AsRaw(), "%s", line)
				span := ptrace.NewSpan()
				b.appendSpanEvent(span, &owned)
				assert.Equal(t, ev.Name, span.Events().At(0).Name())
				assert.Equal(t, time.Unix(100, 5).UnixNano(), span.Events().At(0).Timestamp().AsTime().UnixNano())
				if ev.Name != "" {
					assert.NotEqual(t, uintptr(unsafe.Pointer(unsafe.StringData(ev.Name))), uintptr(unsafe.Pointer(unsafe.StringData(owned.name))))
				}
				for i, s := range in.strs {
					if s != "" {
						assert.NotEqual(t, uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(owned.strs[i]))))
					}
				}
				for i := range owned.attrs {
					if owned.attrs[i].s != "" {
						for j := range ev.Payload {
							assert.NotEqual(t, uintptr(unsafe.Pointer(unsafe.StringData(ev.Payload[j].Value.Text()))), uintptr(unsafe.Pointer(unsafe.StringData(owned.attrs[i].s))))
						}
					}
				}
			}
			n++
			if payloadAttrCount(&ev) > 0 {
				withPayload++
			}
			if len(ev.Backtrace) > 0 {
				withStack++
			}
		}
	}
	require.Positive(t, n)
	require.Positive(t, withPayload, "the fixtures have payload attributes")
	t.Logf("%d events, %d with payload attributes, %d with a backtrace", n, withPayload, withStack)
}
