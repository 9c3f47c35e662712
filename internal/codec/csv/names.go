// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csv

import (
	"strings"
)

// sqlName returns s with every character other than an ASCII letter, digit or "_"
// replaced by "_": tasker.task.name → tasker_task_name, an identifier SQL reads
// without quotes.
func sqlName(s string) string {
	safe := true
	for i := 0; i < len(s); i++ {
		if !identByte(s[i]) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r < 0x80 && identByte(byte(r)) {
			b.WriteByte(byte(r))
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func identByte(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

func resourceColumnNames(keys []string) []string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = sqlName(k)
	}
	return names
}

// labelNamer gives the column key of a label key. With label_names: sql it is the
// header name itself (sqlName of the key, or label_ + that when it would clash with a
// column of the layout, start with a digit or look generated); with prefixed it is the
// key, written label_<key>. Layouts, headers read back and the rows all go by column
// key, so a header written by an earlier run maps back without knowing the keys.
type labelNamer struct {
	sql      bool
	reserved map[string]bool // header names of the non-label columns
}

func (n *labelNamer) columnKey(key string) string {
	if !n.sql {
		return key
	}
	name := sqlName(key)
	if name == "" || ('0' <= name[0] && name[0] <= '9') || n.reserved[name] || generatedName(name) {
		return labelPrefix + name
	}
	return name
}

// header returns the header name (before field_mapping) of the label column ck.
func (n *labelNamer) header(ck string) string {
	if n.sql {
		return ck
	}
	return labelPrefix + ck
}

// fromHeader returns the column key of a label column's header name, false when the
// name cannot be one.
func (n *labelNamer) fromHeader(name string) (string, bool) {
	if n.sql {
		return name, name != "" && !n.reserved[name]
	}
	if strings.HasPrefix(name, labelPrefix) {
		return name[len(labelPrefix):], true
	}
	return "", false
}

// keyCache remembers the column keys of the label keys an encoder has seen (label key
// sets are small; the cache is dropped when it grows past maxCachedKeys).
type keyCache struct {
	n *labelNamer
	m map[string]string
}

const maxCachedKeys = 4096

func (c *keyCache) get(key string) string {
	if !c.n.sql {
		return key
	}
	if ck, ok := c.m[key]; ok {
		return ck
	}
	if len(c.m) >= maxCachedKeys {
		clear(c.m)
	}
	k := strings.Clone(key) // the cache outlives the batch
	ck := c.n.columnKey(k)
	c.m[k] = ck
	return ck
}

// getBytes is get for a flattened nested key.
func (c *keyCache) getBytes(key []byte) string {
	if ck, ok := c.m[string(key)]; ok {
		return ck
	}
	if len(c.m) >= maxCachedKeys {
		clear(c.m)
	}
	k := string(key)
	ck := c.n.columnKey(k)
	c.m[k] = ck
	return ck
}
