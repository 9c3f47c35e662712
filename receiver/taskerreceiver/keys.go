// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"encoding/binary"
	"hash/maphash"
)

// The de-duplication window (dedupe.go) and the steps' attempt states (steps.go) keep
// their keys as bytes in pointer-free memory, found through a map by the keys' hash:
// tables of 100,000 entries (the defaults) whose string keys and linked entries the
// garbage collector had to scan and mark at each cycle (docs/BENCHMARKS.md, session
// 23). Every hit of the map is checked against the full key; a key whose hash is
// another's goes to an overflow map of string keys (64-bit hashes: about one pair in
// 3.7e9 tables of 100,000 entries).

// keyLens are the lengths of a key's strings, stored as bytes dep, task, step.
type keyLens struct {
	dl, tl, sl uint32
}

func lensOf(k spanKey) keyLens {
	return keyLens{dl: uint32(len(k.dep)), tl: uint32(len(k.task)), sl: uint32(len(k.step))}
}

func (l keyLens) size() int { return int(l.dl) + int(l.tl) + int(l.sl) }

// is reports whether b (starting with the stored bytes) holds the strings of k.
func (l keyLens) is(b []byte, k *spanKey) bool {
	if l != lensOf(*k) {
		return false
	}
	t := l.dl + l.tl
	return string(b[:l.dl]) == k.dep && string(b[l.dl:t]) == k.task && string(b[t:t+l.sl]) == k.step
}

// key is the key stored in b, its strings newly allocated, with attempt.
func (l keyLens) key(b []byte, attempt int64) spanKey {
	t := l.dl + l.tl
	return spanKey{dep: string(b[:l.dl]), task: string(b[l.dl:t]), step: string(b[t : t+l.sl]), attempt: attempt}
}

// appendKey appends the strings of k to b.
func appendKey(b []byte, k *spanKey) []byte {
	return append(append(append(b, k.dep...), k.task...), k.step...)
}

// hashKey is the hash of k and extra. The lengths are written first, so that distinct
// keys are distinct inputs.
func hashKey(seed maphash.Seed, k *spanKey, extra uint8) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	var hdr [21]byte
	binary.LittleEndian.PutUint32(hdr[0:], uint32(len(k.dep)))
	binary.LittleEndian.PutUint32(hdr[4:], uint32(len(k.task)))
	binary.LittleEndian.PutUint32(hdr[8:], uint32(len(k.step)))
	binary.LittleEndian.PutUint64(hdr[12:], uint64(k.attempt))
	hdr[20] = extra
	_, _ = h.Write(hdr[:])
	_, _ = h.WriteString(k.dep)
	_, _ = h.WriteString(k.task)
	_, _ = h.WriteString(k.step)
	return h.Sum64()
}
