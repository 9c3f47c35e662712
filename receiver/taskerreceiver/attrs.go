// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"maps"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
)

// Payload attributes: the fields of an event that no typed Event field took, as
// tasker.payload.<key> attributes, typed, objects and arrays as JSON text.

func payloadStr(ev *tasker.Event, key string) string {
	for i := range ev.Payload {
		if ev.Payload[i].Key == key {
			return ev.Payload[i].Value.Text()
		}
	}
	return ""
}

func payloadValue(ev *tasker.Event, key string) (tasker.Value, bool) {
	for i := range ev.Payload {
		if ev.Payload[i].Key == key {
			return ev.Payload[i].Value, true
		}
	}
	return tasker.Value{}, false
}

// resourcePayloadKey: keys that go to the resource, not to tasker.payload.*.
func resourcePayloadKey(k string) bool {
	return k == "environment" || k == "tasker_version"
}

// arena copies several strings with one allocation: want each, grow, then clone each.
type arena struct {
	n   int
	buf strings.Builder
}

func (c *arena) want(s string) { c.n += len(s) }

func (c *arena) grow() { c.buf.Grow(c.n) }

// clone is a copy of s that shares the arena's memory.
func (c *arena) clone(s string) string {
	if s == "" {
		return ""
	}
	if c.buf.Cap()-c.buf.Len() < len(s) {
		return strings.Clone(s)
	}
	i := c.buf.Len()
	c.buf.WriteString(s)
	return c.buf.String()[i:]
}

// maxPayloadKeys bounds the cache of "tasker.payload.<key>" attribute names.
const maxPayloadKeys = 4096

// payloadKey is "tasker.payload." + key, from a cache of the keys seen (payloads use a
// small set of keys). Safe for concurrent use: log records are filled outside b.mu.
func (b *builder) payloadKey(key string) string { return b.keys.get(key) }

// keyCache holds "tasker.payload.<key>" by key, at most maxPayloadKeys. It is read
// without a lock (an immutable map behind an atomic pointer) and copied on a miss:
// at most maxPayloadKeys copies in its life.
type keyCache struct {
	cur atomic.Pointer[map[string]string]
	mu  sync.Mutex
}

func (c *keyCache) get(key string) string {
	if m := c.cur.Load(); m != nil {
		if k, ok := (*m)[key]; ok {
			return k
		}
	}
	return c.add(key)
}

func (c *keyCache) add(key string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var old map[string]string
	if p := c.cur.Load(); p != nil {
		old = *p
	}
	if k, ok := old[key]; ok {
		return k
	}
	k := "tasker.payload." + key
	if len(old) < maxPayloadKeys {
		m := maps.Clone(old)
		if m == nil {
			m = map[string]string{}
		}
		// Keyed by k's own suffix, not by key: key may point into a request's body,
		// which the cache must not keep alive.
		m[k[len(k)-len(key):]] = k
		c.cur.Store(&m)
	}
	return k
}

// putPayload writes the remaining payload as tasker.payload.* attributes.
func (b *builder) putPayload(m pcommon.Map, ev *tasker.Event) { b.putFields(m, ev.Payload) }

// putFields writes payload fields as tasker.payload.* attributes.
func (b *builder) putFields(m pcommon.Map, fields []tasker.Field) {
	for i := range fields {
		f := &fields[i]
		if resourcePayloadKey(f.Key) {
			continue
		}
		k := b.payloadKey(f.Key)
		switch f.Value.Kind() {
		case tasker.KindString:
			m.PutStr(k, f.Value.Str())
		case tasker.KindInt:
			m.PutInt(k, f.Value.Int())
		case tasker.KindFloat:
			m.PutDouble(k, f.Value.Float())
		case tasker.KindBool:
			m.PutBool(k, f.Value.Bool())
		case tasker.KindRaw:
			m.PutStr(k, f.Value.Raw())
		case tasker.KindNull:
			// Tasker drops nil labels; an empty attribute carries no information.
		}
	}
}

// payloadAttrCount is the number of attributes putPayload puts.
func payloadAttrCount(ev *tasker.Event) int { return fieldsAttrCount(ev.Payload) }

// fieldsAttrCount is the number of attributes putFields puts.
func fieldsAttrCount(fields []tasker.Field) int {
	n := 0
	for i := range fields {
		if !resourcePayloadKey(fields[i].Key) && fields[i].Value.Kind() != tasker.KindNull {
			n++
		}
	}
	return n
}

// putTime puts t as RFC 3339 text, formatted into c.
func putTime(c *strChunk, m pcommon.Map, k string, t time.Time) {
	if !t.IsZero() {
		m.PutStr(k, c.format(t))
	}
}

// strChunk holds short strings (formatted times), many per allocation.
// Its memory is only ever appended to, within its capacity, so the strings it gave stay
// valid; when full, a new chunk starts.
type strChunk struct {
	buf strings.Builder
}

// strChunkSize is the size of a chunk: about 70 formatted times.
const strChunkSize = 2048

// room makes room for n more bytes and returns where they start.
func (c *strChunk) room(n int) int {
	if c.buf.Cap()-c.buf.Len() < n {
		c.buf = strings.Builder{}
		c.buf.Grow(max(strChunkSize, n))
	}
	return c.buf.Len()
}

// format is t.UTC().Format(time.RFC3339Nano).
func (c *strChunk) format(t time.Time) string {
	var tmp [64]byte
	f := t.UTC().AppendFormat(tmp[:0], time.RFC3339Nano)
	i := c.room(len(f))
	c.buf.Write(f)
	return c.buf.String()[i:]
}

// numberAttr puts a numeric payload value: a number, or a numeric string (Tasker's
// BigDecimal completion_percentage arrives as "100.0").
func numberAttr(m pcommon.Map, attr string, v tasker.Value) {
	switch v.Kind() {
	case tasker.KindInt:
		m.PutInt(attr, v.Int())
	case tasker.KindFloat:
		m.PutDouble(attr, v.Float())
	case tasker.KindString:
		if f, err := strconv.ParseFloat(strings.TrimSpace(v.Str()), 64); err == nil {
			m.PutDouble(attr, f)
		}
	}
}
