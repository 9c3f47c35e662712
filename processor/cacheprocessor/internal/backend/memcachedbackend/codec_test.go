// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package memcachedbackend

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

func randPoint(r *rand.Rand) series.Point {
	f := func() float64 {
		switch r.IntN(8) {
		case 0:
			return 0
		case 1:
			return math.Copysign(0, -1)
		case 2:
			return math.NaN()
		case 3:
			return math.Inf(1 - 2*r.IntN(2))
		}
		return r.NormFloat64() * 1e6
	}
	list := func() []uint64 {
		if r.IntN(3) == 0 {
			return nil
		}
		l := make([]uint64, 1+r.IntN(40))
		for i := range l {
			l[i] = r.Uint64() >> r.IntN(64)
		}
		return l
	}
	return series.Point{
		Start: r.Int64() - r.Int64(), Time: r.Int64(), IsInt: r.IntN(2) == 0, Int: r.Int64() - r.Int64(),
		Double: f(), Count: r.Uint64() >> r.IntN(64), Sum: f(), HasMin: r.IntN(2) == 0, Min: f(),
		HasMax: r.IntN(2) == 0, Max: f(), Buckets: list(), Scale: int32(r.IntN(41) - 20),
		ZeroCount: r.Uint64() >> r.IntN(64), PosOffset: int32(r.Int64()), Pos: list(),
		NegOffset: -int32(r.IntN(1000)), Neg: list(),
	}
}

func randItem(r *rand.Rand) item {
	it := item{ver: r.Uint64(), expiry: r.Int64(), indexed: r.Int64(), xtoken: r.Int64()}
	for i := range it.ring {
		it.ring[i] = r.Uint64()
	}
	it.st = series.State{Kind: series.Kind(1 + r.IntN(7)), FirstSeen: r.Int64(), LastUpdate: r.Int64(), Point: randPoint(r)}
	switch r.IntN(3) {
	case 0:
		it.st.Desc = []byte{}
	case 1:
		it.st.Desc = make([]byte, r.IntN(600))
		for i := range it.st.Desc {
			it.st.Desc[i] = byte(r.Uint32())
		}
	}
	if r.IntN(2) == 0 {
		p := randPoint(r)
		it.st.Exported = &p
	}
	return it
}

func requireSameItem(t *testing.T, want, got *item) {
	t.Helper()
	require.Equal(t, want.ver, got.ver)
	require.Equal(t, want.ring, got.ring)
	require.Equal(t, want.expiry, got.expiry)
	require.Equal(t, want.indexed, got.indexed)
	require.Equal(t, want.xtoken, got.xtoken)
	require.Equal(t, want.st.Kind, got.st.Kind)
	require.Equal(t, want.st.FirstSeen, got.st.FirstSeen)
	require.Equal(t, want.st.LastUpdate, got.st.LastUpdate)
	require.Equal(t, want.st.Desc == nil, got.st.Desc == nil)
	require.Equal(t, string(want.st.Desc), string(got.st.Desc))
	require.True(t, series.Equal(&want.st.Point, &got.st.Point), "want %+v\n got %+v", want.st.Point, got.st.Point)
	bits := func(p *series.Point) [4]uint64 {
		return [4]uint64{math.Float64bits(p.Double), math.Float64bits(p.Sum), math.Float64bits(p.Min), math.Float64bits(p.Max)}
	}
	require.Equal(t, bits(&want.st.Point), bits(&got.st.Point), "floats bit for bit (-0, NaN)")
	require.Equal(t, want.st.Exported == nil, got.st.Exported == nil)
	if want.st.Exported != nil {
		require.True(t, series.Equal(want.st.Exported, got.st.Exported))
	}
}

func TestCodecRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var buf []byte
	for range 2000 {
		want := randItem(r)
		buf = appendItem(buf[:0], &want)
		var got item
		require.NoError(t, decodeItem(buf, &got))
		requireSameItem(t, &want, &got)
		ix, ok := peekIndexed(buf)
		require.True(t, ok)
		require.Equal(t, want.indexed, ix)
	}
}

// Every truncation, every single-byte change and random bytes decode to an error or a
// value, never a panic.
func TestCodecCorruptNeverPanics(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		it := randItem(r)
		v := appendItem(nil, &it)
		for n := range len(v) {
			var got item
			err := decodeItem(v[:n], &got)
			require.Error(t, err, "truncated to %d of %d bytes", n, len(v))
			require.True(t, errors.Is(err, errCorrupt))
		}
		for range 50 {
			w := append([]byte(nil), v...)
			w[r.IntN(len(w))] ^= byte(1 + r.IntN(255))
			var got item
			_ = decodeItem(w, &got)
		}
	}
	for range 5000 {
		w := make([]byte, r.IntN(300))
		for i := range w {
			w[i] = byte(r.Uint32())
		}
		if len(w) > 1 && r.IntN(2) == 0 {
			w[0], w[1] = itemMagic, codecVersion
		}
		var got item
		_ = decodeItem(w, &got)
		_, _ = decodeIndex(w)
	}
}

func FuzzDecodeItem(f *testing.F) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 8 {
		it := randItem(r)
		f.Add(appendItem(nil, &it))
	}
	f.Add([]byte("S\x01"))
	f.Fuzz(func(t *testing.T, v []byte) {
		var got item
		if err := decodeItem(v, &got); err != nil {
			return
		}
		again := appendItem(nil, &got)
		var twice item
		require.NoError(t, decodeItem(again, &twice), "a decoded item re-encodes")
	})
}

func TestIndexCodecAndUpsert(t *testing.T) {
	es := []idxEntry{{1, 10}, {5, 50}, {9, 90}}
	got, err := decodeIndex(appendIndex(nil, es))
	require.NoError(t, err)
	assert.Equal(t, es, got)
	empty, err := decodeIndex(appendIndex(nil, nil))
	require.NoError(t, err)
	assert.Empty(t, empty)

	_, err = decodeIndex(appendIndex(nil, []idxEntry{{5, 1}, {1, 1}}))
	assert.ErrorIs(t, err, errCorrupt, "out of order")
	_, err = decodeIndex(appendIndex(nil, es)[:20])
	assert.ErrorIs(t, err, errCorrupt, "partial entry")

	out, changed := upsert(es, []idxEntry{{0, 1}, {5, 40}, {7, 70}, {9, 95}, {12, 1}})
	assert.True(t, changed)
	assert.Equal(t, []idxEntry{{0, 1}, {1, 10}, {5, 50}, {7, 70}, {9, 95}, {12, 1}}, out, "new IDs inserted, hints only raised")
	_, changed = upsert(es, []idxEntry{{5, 50}, {9, 10}})
	assert.False(t, changed)
}

func TestParseLock(t *testing.T) {
	h, exp, err := parseLock(lockValue("host:with:colons-1:42", 123))
	require.NoError(t, err)
	assert.Equal(t, "host:with:colons-1:42", h)
	assert.Equal(t, int64(123), exp)
	for _, bad := range []string{"", "x", "a:b", "a:notanumber:5", "owner:1:"} {
		_, _, err := parseLock([]byte(bad))
		assert.ErrorIs(t, err, errCorrupt, "%q", bad)
	}
}

func TestExpiration(t *testing.T) {
	assert.Equal(t, int32(1), expiration(0))
	assert.Equal(t, int32(1), expiration(-time.Hour))
	assert.Equal(t, int32(2), expiration(1001*time.Millisecond))
	assert.Equal(t, int32(30*24*3600), expiration(30*24*time.Hour))
	abs := expiration(31 * 24 * time.Hour)
	assert.InDelta(t, time.Now().Add(31*24*time.Hour).Unix(), int64(abs), 2, "beyond 30 days: absolute Unix time")
}

func TestConfigValidate(t *testing.T) {
	def := NewDefaultConfig()
	require.NoError(t, def.Validate())
	assert.Equal(t, Config{Servers: []string{"127.0.0.1:11211"}, KeyPrefix: "tasker", Timeout: time.Second,
		MaxIdleConns: 16, MaxCASRetries: 10, Shards: 16}, def)
	for name, tc := range map[string]struct {
		mutate func(*Config)
		want   string
	}{
		"no servers":       {func(c *Config) { c.Servers = nil }, "servers must list at least one"},
		"bad server":       {func(c *Config) { c.Servers = []string{"localhost"} }, `servers[0] "localhost" is not host:port`},
		"empty prefix":     {func(c *Config) { c.KeyPrefix = "" }, "key_prefix must not be empty"},
		"long prefix":      {func(c *Config) { c.KeyPrefix = string(make([]byte, 101)) }, "key_prefix is 101 bytes"},
		"space in prefix":  {func(c *Config) { c.KeyPrefix = "a b" }, "whitespace or a control character"},
		"zero timeout":     {func(c *Config) { c.Timeout = 0 }, "timeout must be positive"},
		"zero conns":       {func(c *Config) { c.MaxIdleConns = 0 }, "max_idle_conns must be between 1 and 1024"},
		"negative retries": {func(c *Config) { c.MaxCASRetries = -1 }, "max_cas_retries must be between 1 and 1000"},
		"too many shards":  {func(c *Config) { c.Shards = 5000 }, "shards must be between 1 and 4096"},
	} {
		t.Run(name, func(t *testing.T) {
			c := NewDefaultConfig()
			tc.mutate(&c)
			err := c.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			_, err = New(c, time.Minute, nil)
			assert.Error(t, err)
		})
	}
	ok := NewDefaultConfig()
	ok.Servers = []string{"/var/run/memcached.sock", "[::1]:11211", "cache.internal:11211"}
	assert.NoError(t, ok.Validate())
	_, err := New(NewDefaultConfig(), 0, nil)
	assert.ErrorContains(t, err, "retention must be at least 1ms")
}

func TestSeriesKey(t *testing.T) {
	b, err := New(NewDefaultConfig(), time.Minute, nil)
	require.NoError(t, err)
	for _, id := range []series.ID{0, 1, 0xabc, math.MaxUint64, 0x0123456789abcdef} {
		assert.Equal(t, "tasker:s:"+id.String(), b.seriesKey(id))
	}
}
