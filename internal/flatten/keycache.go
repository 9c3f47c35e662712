// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package flatten

// maxCachedKeys bounds the map positions a KeyCache remembers.
const maxCachedKeys = 32

// KeyCache remembers, for each position of a map, the last key seen there and its
// encoding: the items of a batch nearly always carry the same keys in the same order,
// so most keys are compared (mostly the same string of the batch's key table, which
// compares at once), not encoded again. It keeps the keys it was given: Forget drops
// them once the batch is done, so that a pooled encoder keeps no batch alive. The
// ndjson and csv encoders share it, each with its own encoding of a key (a JSON key
// with its colon, plain or with its quotes doubled for a CSV cell).
type KeyCache struct {
	// Encode appends the encoding of k to dst.
	Encode func(dst []byte, k string) []byte
	keys   []string
	enc    [][]byte // enc[i] encodes keys[i]; it may be longer than keys (buffers kept)
}

// Append appends the encoding of k, the key at position i of its map.
func (c *KeyCache) Append(dst []byte, i int, k string) []byte {
	if i < len(c.keys) {
		if c.keys[i] == k {
			return append(dst, c.enc[i]...)
		}
	} else if i == len(c.keys) && i < maxCachedKeys {
		c.keys = append(c.keys, "")
		if i == len(c.enc) {
			c.enc = append(c.enc, nil)
		}
	} else {
		return c.Encode(dst, k)
	}
	c.keys[i] = k
	c.enc[i] = c.Encode(c.enc[i][:0], k)
	return append(dst, c.enc[i]...)
}

// Forget drops the keys (the encodings' buffers stay for the next batch).
func (c *KeyCache) Forget() {
	clear(c.keys)
	c.keys = c.keys[:0]
}

// AppendJSONKey appends k as a JSON object key with its colon.
func AppendJSONKey(dst []byte, k string) []byte {
	return append(AppendJSONString(dst, k), ':')
}
