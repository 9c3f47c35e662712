// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package redisbackend

import (
	"math"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// defaultCacheSeries bounds the client cache of merged sums (see doc.go, "Client-side
// merge"): at most this many series per backend, 128 bytes each when full (≈ 17 MB).
const defaultCacheSeries = 131072

// casBackoff is how many Applies of a shard skip the cache after a conflict (another
// replica wrote the shard): they merge in Lua, one round trip each, instead of a failed
// compare-and-set followed by the Lua merge.
const casBackoff = 8

// casStats counts the shard calls by path (tests and diagnostics).
type casStats struct {
	ok, conflicts, fills atomic.Int64
}

// centry is what the client knows of a cached sum or gauge: the stored value's fields
// and the lowest expiry score the shard's index holds for it.
type centry struct {
	kind  series.Kind
	isInt bool
	first int64
	start int64
	time  int64
	val   uint64 // Int, or the float64 bits of Double
	exp   int64
}

func (c *centry) point() series.Point {
	p := series.Point{Start: c.start, Time: c.time, IsInt: c.isInt}
	if c.isInt {
		p.Int = int64(c.val)
	} else {
		p.Double = math.Float64frombits(c.val)
	}
	return p
}

// appendPoint appends the point as appendPoint does for a sum or gauge (TestEntryPoint).
func (c *centry) appendPoint(b []byte) []byte {
	b = appendInt(b, c.start)
	b = append(b, ' ')
	b = appendInt(b, c.time)
	b = append(b, ' ')
	if c.isInt {
		b = append(b, 'i')
		return appendInt(b, int64(c.val))
	}
	return appendFloat(b, math.Float64frombits(c.val))
}

func (c *centry) setPoint(p *series.Point) {
	c.start, c.time, c.isInt = p.Start, p.Time, p.IsInt
	if p.IsInt {
		c.val = uint64(p.Int)
	} else {
		c.val = math.Float64bits(p.Double)
	}
}

// shardCache is one shard's client cache: valid at version ver (0: unknown), entries
// equal to the stored values at that version.
type shardCache struct {
	mu   sync.Mutex
	ver  int64
	skip int // Applies left in the back-off after a conflict
	ents map[series.ID]centry
	max  int
}

// advance moves the cache to version w.to written by one script (w.from before it):
// the entries stay valid if the cache was at w.from; else they are dropped. It reports
// false when the cache already knows a later version (the caller's news are older).
func (c *shardCache) advance(w verStep) bool {
	switch {
	case c.ver != 0 && c.ver == w.from:
	case c.ver != 0 && c.ver >= w.to:
		return false
	default:
		clear(c.ents)
	}
	c.ver = w.to
	return true
}

// verStep is a script's move of a shard's version (lib.lua's bumpver).
type verStep struct{ to, from int64 }

// parseVerStep reads bumpver's reply {new, old}.
func parseVerStep(r any) (verStep, bool) {
	pair, ok := r.([]any)
	if !ok || len(pair) != 2 {
		return verStep{}, false
	}
	to, ok1 := pair[0].(string)
	from, ok2 := pair[1].(string)
	if !ok1 || !ok2 {
		return verStep{}, false
	}
	t, err1 := strconv.ParseInt(to, 10, 64)
	f, err2 := strconv.ParseInt(from, 10, 64)
	return verStep{to: t, from: f}, err1 == nil && err2 == nil && t > 0
}

func (c *shardCache) reset() {
	c.mu.Lock()
	c.ver = 0
	clear(c.ents)
	c.mu.Unlock()
}

// casPlan is one shard's client-side merge: the cache entries to store when the
// compare-and-set succeeds.
type casPlan struct {
	expect int64
	ids    []series.ID
	ents   []centry
	raise  []bool // the expiry score rises: ZADD GT
	kinds  int    // series whose kind changed
}

// planBufs is where one Apply's plans keep their slices: reset(n) makes room for n
// updates, and take cuts the next plan's from it (no allocation per shard and batch).
type planBufs struct {
	ids   []series.ID
	ents  []centry
	raise []bool
}

func (b *planBufs) reset(n int) {
	if cap(b.ids) < n {
		b.ids, b.ents, b.raise = make([]series.ID, 0, n), make([]centry, 0, n), make([]bool, 0, n)
	}
	b.ids, b.ents, b.raise = b.ids[:0], b.ents[:0], b.raise[:0]
}

// take returns a plan for n updates, its slices cut from b (full slice expressions: a
// plan never appends into the next one's).
func (b *planBufs) take(n int) casPlan {
	l := len(b.ids)
	b.ids, b.ents, b.raise = b.ids[:l+n], b.ents[:l+n], b.raise[:l+n]
	return casPlan{ids: b.ids[l : l+n : l+n], ents: b.ents[l : l+n : l+n], raise: b.raise[l : l+n : l+n]}
}

// plan merges the shard's updates (sums and gauges, each series once) on the cache with
// series.Merge's rules, as applysums.lua does, into p (its slices as long as idx); ok is
// false when the version is unknown, a series is not cached, or the shard is backing off.
func (c *shardCache) plan(ups []series.Update, idx []int, exp int64, p *casPlan) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.skip > 0 {
		c.skip--
		return false
	}
	if c.ver == 0 {
		return false
	}
	p.expect, p.kinds = c.ver, 0
	for k, i := range idx {
		u := &ups[i]
		e, ok := c.ents[u.ID]
		if !ok {
			return false
		}
		if e.kind != u.Kind {
			// the kind changed (only an ID collision can do that): restart the series
			p.kinds++
			e.kind = u.Kind
			e.setPoint(&u.Point)
		} else {
			pt := e.point()
			series.Merge(u.Kind, &pt, &u.Point)
			e.setPoint(&pt)
		}
		p.raise[k] = exp > e.exp
		e.exp = max(e.exp, exp)
		p.ids[k], p.ents[k] = u.ID, e
	}
	return true
}

// commit stores a successful compare-and-set's entries at version w.
func (c *shardCache) commit(p *casPlan, w verStep) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.advance(w) {
		return
	}
	for k, id := range p.ids {
		c.ents[id] = p.ents[k]
	}
}

// store caches the values a Lua merge wrote at version w (vals: the script's replies).
func (c *shardCache) store(ids []series.ID, vals []any, exp int64, w verStep) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.advance(w) {
		return
	}
	var st series.State
	for k, id := range ids {
		s, _ := vals[k].(string)
		if err := parseValue(s, &st); err != nil || classOf(st.Kind) != classSum {
			delete(c.ents, id)
			continue
		}
		if _, ok := c.ents[id]; !ok && len(c.ents) >= c.max {
			continue
		}
		e := centry{kind: st.Kind, first: st.FirstSeen, exp: exp}
		e.setPoint(&st.Point)
		c.ents[id] = e
	}
}

// forget drops the entries of series a Lua merge wrote at version w without returning
// their values.
func (c *shardCache) forget(ids []series.ID, w verStep) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.advance(w) {
		return
	}
	for _, id := range ids {
		delete(c.ents, id)
	}
}

// conflict drops the cache after a failed compare-and-set and starts the back-off.
func (c *shardCache) conflict() {
	c.mu.Lock()
	c.ver, c.skip = 0, casBackoff
	clear(c.ents)
	c.mu.Unlock()
}

// wantValues reports whether a Lua merge of n series should return the values for the
// cache: not while backing off, and only if they fit.
func (c *shardCache) wantValues(n int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.skip == 0 && len(c.ents)+n <= c.max
}

// casArgs appends applycas.lua's arguments: the expected version, the expiry, the TTLs
// (head), the counts, the id, value pairs, the id, descriptor pairs, and the ids whose
// expiry score rises.
func (e *encoder) casArgs(head []any, ups []series.Update, idx []int, p *casPlan, nowHex string) []any {
	pk := &e.pk
	n0 := len(pk.refs)
	descs, zs := 0, 0
	for k, i := range idx {
		en := &p.ents[k]
		pk.buf = appendID(pk.buf, ups[i].ID)
		pk.end()
		pk.buf = append(pk.buf, byte('0'+en.kind))
		pk.buf = appendInt(pk.buf, en.first)
		pk.buf = append(pk.buf, ' ')
		pk.buf = append(pk.buf, nowHex...)
		pk.buf = append(pk.buf, ' ')
		pk.buf = en.appendPoint(pk.buf)
		pk.end()
	}
	for _, i := range idx {
		if ups[i].Desc != nil {
			descs++
			pk.buf = appendID(pk.buf, ups[i].ID)
			pk.end()
			pk.buf = append(pk.buf, ups[i].Desc...)
			pk.end()
		}
	}
	for k, i := range idx {
		if p.raise[k] {
			zs++
			pk.buf = appendID(pk.buf, ups[i].ID)
			pk.end()
		}
	}
	refs := pk.refs[n0:]
	args := make([]any, 0, len(head)+3+len(refs))
	args = append(args, head...)
	args = append(args, strconv.Itoa(len(idx)), strconv.Itoa(descs), strconv.Itoa(zs))
	for k := range refs {
		args = append(args, &refs[k])
	}
	return args
}

// packer builds the arguments of an Apply's script calls in one buffer, kept by the
// encoder from one Apply to the next. Each argument is an argRef to its bytes, which
// go-redis writes to the connection through MarshalBinary: boxing a pointer to it
// allocates nothing, and nothing is copied into strings first. The bytes of an argument
// are never written again until reset (the next Apply, after this one's pipeline is
// done): when buf grows into a new array, the refs keep the old one, which holds them.
type packer struct {
	buf  []byte
	from int // where the current argument starts
	refs []argRef
}

// argRef is one argument: a piece of packer.buf.
type argRef struct{ b []byte }

// MarshalBinary returns the argument's bytes (go-redis's writer copies them out).
func (r *argRef) MarshalBinary() ([]byte, error) { return r.b, nil }

// end closes the argument written since the last end.
func (p *packer) end() {
	n := len(p.buf)
	p.refs = append(p.refs, argRef{b: p.buf[p.from:n:n]})
	p.from = n
}

func (p *packer) reset() {
	clear(p.refs) // drop the references to arrays buf has outgrown
	p.buf, p.from, p.refs = p.buf[:0], 0, p.refs[:0]
}
