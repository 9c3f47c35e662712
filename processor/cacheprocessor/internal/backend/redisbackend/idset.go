// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package redisbackend

import (
	"math/bits"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// idSet is a set of series IDs that empties in O(1): reset moves to a new epoch, and a
// slot belongs to the set only when it carries the current one. It is Apply's check that
// a shard's updates name each series once (every shard, every batch), without a map's
// hashing and clearing.
type idSet struct {
	ids   []series.ID
	epoch []uint32
	cur   uint32
	mask  uint64
}

// reset empties the set and makes room for n IDs at a load of at most one half.
func (s *idSet) reset(n int) {
	if want := max(16, 2*n); len(s.ids) < want {
		size := 1 << bits.Len(uint(want-1))
		s.ids, s.epoch, s.mask, s.cur = make([]series.ID, size), make([]uint32, size), uint64(size-1), 0
	}
	s.cur++
	if s.cur == 0 { // wrapped: slots of 2^32 epochs ago would look current
		clear(s.epoch)
		s.cur = 1
	}
}

// add inserts id and reports whether it was absent. At most n IDs (reset's) may be
// added.
func (s *idSet) add(id series.ID) bool {
	h := uint64(id) * 0x9E3779B97F4A7C15
	for i := (h ^ h>>32) & s.mask; ; i = (i + 1) & s.mask {
		if s.epoch[i] != s.cur {
			s.epoch[i], s.ids[i] = s.cur, id
			return true
		}
		if s.ids[i] == id {
			return false
		}
	}
}
