// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDedupeCollision: a key whose hash is another live key's is told apart by the full
// key (the overflow map), and leaves the window as the others do.
func TestDedupeCollision(t *testing.T) {
	d := newDedupeWindow(time.Minute, 3)
	now := time.Unix(1000, 0)
	a, b := dedupeKey{span: spanKey{task: "a"}}, dedupeKey{span: spanKey{task: "b"}}
	require.False(t, d.seen(a, now))
	d.add(b, d.slot(d.first).h, now) // b with a's hash
	require.Len(t, d.overflow, 1)
	assert.True(t, d.seen(a, now))
	assert.True(t, d.seen(b, now))
	assert.False(t, d.seen(dedupeKey{span: spanKey{task: "c"}}, now))
	d.forget(a)
	assert.True(t, d.seen(b, now), "b outlives a")
	assert.False(t, d.seen(a, now.Add(time.Second)))
	assert.False(t, d.seen(dedupeKey{span: spanKey{task: "d"}}, now.Add(time.Second)), "evicts b")
	assert.Empty(t, d.overflow)
	assert.False(t, d.seen(b, now.Add(time.Second)))
	var got []string
	d.each(func(k dedupeKey, _ time.Time) { got = append(got, k.span.task) })
	assert.Equal(t, []string{"a", "d", "b"}, got, "c evicted by b")
}

// TestDedupeChunks: the window keeps its order and frees its key chunks over many
// entries, forgotten ones among them.
func TestDedupeChunks(t *testing.T) {
	d := newDedupeWindow(time.Hour, 5000)
	now := time.Unix(1000, 0)
	key := func(i int) dedupeKey {
		return dedupeKey{span: spanKey{dep: "prod", task: fmt.Sprintf("task-%08d", i), step: "validate_order", attempt: int64(i % 3)}}
	}
	for i := 0; i < 50000; i++ {
		require.False(t, d.seen(key(i), now))
		if i%7 == 0 {
			d.forget(key(i))
		}
		require.True(t, i%7 == 0 || d.seen(key(i), now))
	}
	assert.Equal(t, 5000, d.n)
	assert.LessOrEqual(t, len(d.chunks), 4)
	var want []dedupeKey
	for i := 50000 - 1; len(want) < 5000; i-- {
		if i%7 != 0 {
			want = append([]dedupeKey{key(i)}, want...)
		}
	}
	var got []dedupeKey
	d.each(func(k dedupeKey, _ time.Time) { got = append(got, k) })
	assert.Equal(t, want, got)
	assert.True(t, d.seen(want[0], now))
	assert.False(t, d.seen(key(50000), now))
	assert.False(t, d.seen(want[0], now), "evicted by max_entries")
	assert.False(t, d.seen(key(0), now.Add(2*time.Hour)), "all expired")
	assert.Equal(t, 1, d.n)
	assert.Len(t, d.chunks, 1)
}

// TestStepCollision: step states whose keys share a hash are told apart, and their
// key buffer compacts as states come and go.
func TestStepCollision(t *testing.T) {
	tb := newStartTable(3, time.Minute)
	now := time.Unix(1000, 0)
	a, b := spanKey{task: "1", step: "a"}, spanKey{task: "1", step: "b"}
	tb.step(a, now, true).cur = 1
	st := tb.addStep(b, tb.slot(tb.sorder.tail).h, now) // b with a's hash
	st.cur = 2
	require.Len(t, tb.overflow, 1)
	assert.Equal(t, int64(1), tb.step(a, now, false).cur)
	assert.Equal(t, int64(2), tb.step(b, now, false).cur)
	tb.step(spanKey{task: "1", step: "c"}, now, true)
	tb.step(spanKey{task: "1", step: "d"}, now, true) // evicts a (b was touched after it)
	assert.Nil(t, tb.step(a, now, false))
	assert.Equal(t, int64(2), tb.step(b, now, false).cur)
	tb.expire(now.Add(2 * time.Minute))
	assert.Zero(t, tb.sorder.n)
	assert.Empty(t, tb.overflow)
	assert.Empty(t, tb.index)

	big := newStartTable(100, time.Minute)
	for i := 0; i < 100000; i++ {
		k := spanKey{task: fmt.Sprintf("task-%08d", i), step: "s"}
		big.step(k, now, true).cur = int64(i)
		if i >= 40 {
			old := spanKey{task: fmt.Sprintf("task-%08d", i-40), step: "s"}
			require.Equal(t, int64(i-40), big.step(old, now, false).cur)
		}
	}
	assert.Equal(t, 100, big.sorder.n)
	assert.LessOrEqual(t, cap(big.keys), 64<<10)
	n := 0
	big.eachStep(func(k spanKey, st *stepState) {
		assert.Equal(t, fmt.Sprintf("task-%08d", st.cur), k.task)
		n++
	})
	assert.Equal(t, 100, n)
}
