// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package memcachedbackend

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// grace is added to every memcached expiration of series and index items, on top of the
// logical expiry: memcached's clock ticks in whole seconds and may differ a little from
// ours, and an item must never vanish before Snapshot and Expire stop wanting it.
const grace = time.Minute

// getChunk is the most keys one multi-get asks for.
const getChunk = 1000

// Backend is the distributed_basic backend: an aggregate in memcached, merged by CAS
// read-merge-write (see the package documentation). All methods are safe for
// concurrent use.
type Backend struct {
	cfg       Config
	retention time.Duration
	slack     int64 // ns: how stale an index hint may get before Apply rewrites it
	logger    *zap.Logger
	servers   *memcache.ServerList
	client    *memcache.Client
	keys      keys
	maxSeries int    // 0: no cap (see admit.go)
	self      string // this backend's name as a lock owner (admission)

	pmu     sync.Mutex
	pending map[string]*batchProgress

	// writeHook, when set (by tests), runs Apply's series writes: it may call write or
	// not, and return any error, to simulate failures part-way through a batch.
	writeHook func(key string, write func() error) error

	stats struct {
		casRetries, indexWrites, ambiguous, ambiguousSkipped, kindChanges, poolResets atomic.Int64
	}
}

type keys struct {
	series  string   // <prefix>:s: (+ 16 hex digits)
	index   []string // <prefix>:<shard>:idx
	batch   string   // <prefix>:batch: (+ batch id)
	batchH  string   // <prefix>:batchh: (+ hash of a batch id that is no valid key)
	lock    string   // <prefix>:export_lock
	admit   string   // <prefix>:admit_lock (max_series)
	repl    string   // <prefix>:replicas (readiness markers)
	token   string   // <prefix>:export_token
	last    string   // <prefix>:last_export
	shards  string   // <prefix>:shards
	probe   string   // <prefix>:probe:
	maxBIDs int      // longest batch id used verbatim
}

var _ backend.Backend = (*Backend)(nil)

// New returns a backend for cfg whose series expire retention after their last update.
// It does not connect: Start does.
func New(cfg Config, retention time.Duration, logger *zap.Logger) (*Backend, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("memcached backend: %w", err)
	}
	if retention < time.Millisecond {
		return nil, fmt.Errorf("memcached backend: retention must be at least 1ms, got %s", retention)
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	ss := new(memcache.ServerList)
	if err := ss.SetServers(cfg.Servers...); err != nil {
		return nil, fmt.Errorf("memcached backend: servers %v: %w", cfg.Servers, err)
	}
	client := memcache.NewFromSelector(ss)
	client.Timeout = cfg.Timeout
	client.MaxIdleConns = cfg.MaxIdleConns
	p := cfg.KeyPrefix
	b := &Backend{
		cfg:       cfg,
		retention: retention,
		slack:     int64(retention / 4),
		logger:    logger,
		servers:   ss,
		client:    client,
		pending:   map[string]*batchProgress{},
		self:      "admit-" + strconv.FormatUint(rand.Uint64(), 36),
		keys: keys{
			series: p + ":s:",
			batch:  p + ":batch:",
			batchH: p + ":batchh:",
			lock:   p + ":export_lock",
			admit:  p + ":admit_lock",
			repl:   p + ":replicas",
			token:  p + ":export_token",
			last:   p + ":last_export",
			shards: p + ":shards",
			probe:  p + ":probe:",
		},
	}
	b.keys.maxBIDs = 250 - len(b.keys.batch)
	b.keys.index = make([]string, cfg.Shards)
	for i := range b.keys.index {
		b.keys.index[i] = p + ":" + strconv.Itoa(i) + ":idx"
	}
	return b, nil
}

// Strategy is distributed_basic.
func (b *Backend) Strategy() backend.Strategy { return backend.StrategyDistributedBasic }

// Capabilities: shared (Distributed), incr for fencing tokens (AtomicIncrement), a lock
// built on add and CAS (Locking), and expirations (TTL).
func (b *Backend) Capabilities() backend.Capabilities {
	return backend.Capabilities{Distributed: true, AtomicIncrement: true, Locking: true, TTL: true}
}

// Info describes the configuration: servers, key_prefix and shards.
func (b *Backend) Info() map[string]string {
	return map[string]string{
		"servers":    strings.Join(b.cfg.Servers, ","),
		"key_prefix": b.cfg.KeyPrefix,
		"shards":     strconv.Itoa(b.cfg.Shards),
	}
}

// Stats are counters of what the backend had to do beyond the happy path.
type Stats struct {
	// CASRetries counts read-merge-writes retried after losing a CAS race (series items,
	// indexes, the lock and last_export).
	CASRetries int64
	// IndexWrites counts shard index writes.
	IndexWrites int64
	// AmbiguousWrites counts series writes whose outcome is unknown (the connection failed
	// after the request was sent); the replay of the batch resolves them.
	AmbiguousWrites int64
	// AmbiguousSkipped counts those a replay could not resolve (more than 8 other writes
	// hit the series meanwhile) and skipped rather than risk counting twice.
	AmbiguousSkipped int64
	// KindChanges counts series restarted because an update had another kind (an ID
	// collision, or a metric whose type changed).
	KindChanges int64
	// PoolResets counts how often idle connections were dropped after a network error.
	PoolResets int64
}

// Stats returns the counters.
func (b *Backend) Stats() Stats {
	return Stats{
		CASRetries:       b.stats.casRetries.Load(),
		IndexWrites:      b.stats.indexWrites.Load(),
		AmbiguousWrites:  b.stats.ambiguous.Load(),
		AmbiguousSkipped: b.stats.ambiguousSkipped.Load(),
		KindChanges:      b.stats.kindChanges.Load(),
		PoolResets:       b.stats.poolResets.Load(),
	}
}

func wrap(op string, err error) error { return fmt.Errorf("memcached backend: %s: %w", op, err) }

func keyErr(op, key string, err error) error {
	return fmt.Errorf("memcached backend: %s %s: %w", op, key, err)
}

// Start checks every server: it answers `version` (gomemcache's Ping), supports CAS (not
// started with -C) and deletes an item on a CAS with a negative expiration (how Release
// and Expire compare-and-delete). It then records the shard count under the prefix, or
// refuses a prefix written with another one.
func (b *Backend) Start(ctx context.Context) error {
	const op = "start"
	if err := ctx.Err(); err != nil {
		return wrap(op, err)
	}
	if err := b.client.Ping(); err != nil {
		b.resetPool(err)
		return wrap(op, fmt.Errorf("cannot reach memcached at %s: %w", strings.Join(b.cfg.Servers, ","), err))
	}
	if err := b.probe(ctx); err != nil {
		return wrap(op, err)
	}
	want := strconv.Itoa(b.cfg.Shards)
	if err := ctx.Err(); err != nil {
		return wrap(op, err)
	}
	if err := b.client.Add(&memcache.Item{Key: b.keys.shards, Value: []byte(want)}); err != nil && !errors.Is(err, memcache.ErrNotStored) {
		return keyErr(op, b.keys.shards, err)
	}
	it, err := b.client.Get(b.keys.shards)
	if err != nil {
		return keyErr(op, b.keys.shards, err)
	}
	if have := string(it.Value); have != want {
		return wrap(op, fmt.Errorf("key prefix %q holds data written with shards=%s, configured shards=%s: use the same shard count on every replica (or another key_prefix)", b.cfg.KeyPrefix, have, want))
	}
	b.logger.Info("memcached cache backend ready",
		zap.String("strategy", string(backend.StrategyDistributedBasic)),
		zap.Strings("servers", b.cfg.Servers), zap.String("key_prefix", b.cfg.KeyPrefix),
		zap.Int("shards", b.cfg.Shards), zap.Int("max_cas_retries", b.cfg.MaxCASRetries))
	return nil
}

// probe runs add, gets, cas and a compare-and-delete on one key per server.
func (b *Backend) probe(ctx context.Context) error {
	byAddr := map[string]string{}
	var addrs []string
	_ = b.servers.Each(func(a net.Addr) error { addrs = append(addrs, a.String()); return nil })
	base := strconv.FormatUint(rand.Uint64(), 36)
	for i := 0; len(byAddr) < len(addrs) && i < 64*len(addrs); i++ {
		k := b.keys.probe + base + "-" + strconv.Itoa(i)
		a, err := b.servers.PickServer(k)
		if err != nil {
			return err
		}
		if _, ok := byAddr[a.String()]; !ok {
			byAddr[a.String()] = k
		}
	}
	for addr, k := range byAddr {
		fail := func(step string, err error) error {
			return fmt.Errorf("probe of %s (%s) failed at %s: %w", addr, k, step, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := b.client.Add(&memcache.Item{Key: k, Value: []byte("probe"), Expiration: 30}); err != nil {
			return fail("add", err)
		}
		it, err := b.client.Get(k)
		if err != nil {
			return fail("gets", err)
		}
		if it.CasID == 0 {
			return fail("gets", errors.New("no CAS unique returned: memcached runs with -C (CAS disabled); distributed_basic needs CAS"))
		}
		if err := b.client.CompareAndSwap(&memcache.Item{Key: k, Value: []byte("gone"), Expiration: -1, CasID: it.CasID}); err != nil {
			return fail("cas", err)
		}
		if _, err := b.client.Get(k); !errors.Is(err, memcache.ErrCacheMiss) {
			return fail("compare-and-delete", fmt.Errorf("a CAS with a negative expiration did not delete the item (%v): memcached too old?", err))
		}
	}
	return nil
}

// Close closes the idle connections.
func (b *Backend) Close() error { return b.client.Close() }

func (b *Backend) shardOf(id series.ID) int { return int(uint64(id) % uint64(b.cfg.Shards)) }

// seriesKey is <prefix>:s:<id as 16 hex digits> (one allocation).
func (b *Backend) seriesKey(id series.ID) string {
	const hexDigits = "0123456789abcdef"
	var h [16]byte
	for i := 15; i >= 0; i-- {
		h[i] = hexDigits[id&0xf]
		id >>= 4
	}
	var sb strings.Builder
	sb.Grow(len(b.keys.series) + 16)
	sb.WriteString(b.keys.series)
	sb.Write(h[:])
	return sb.String()
}

// batchKey is the marker key of a batch: the id itself when it is a valid key, else a
// hash of it.
func (b *Backend) batchKey(id string) string {
	if len(id) <= b.keys.maxBIDs && strings.IndexFunc(id, func(r rune) bool { return r <= ' ' || r == 0x7f }) < 0 {
		return b.keys.batch + id
	}
	sum := sha256.Sum256([]byte(id))
	return b.keys.batchH + hex.EncodeToString(sum[:16])
}

// batchHash identifies a batch inside series items (their ring of recent writers).
func batchHash(id string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	if v := h.Sum64(); v != 0 {
		return v
	}
	return 1
}

// expiration converts a duration to a memcached expiration: relative seconds (rounded
// up, at least 1), or an absolute Unix time beyond memcached's 30-day relative limit.
func expiration(d time.Duration) int32 {
	secs := int64(math.Ceil(d.Seconds()))
	if secs < 1 {
		secs = 1
	}
	const month = 30 * 24 * 3600
	if secs <= month {
		return int32(secs)
	}
	abs := time.Now().Unix() + secs
	if abs > math.MaxInt32 {
		abs = math.MaxInt32
	}
	return int32(abs)
}

// itemExpiration is a series item's memcached expiration: its logical lifetime from its
// last update plus grace. LastUpdate is the logical "now" of the write that set it and
// never later than the real clock, so memcached keeps the item at least until its
// logical expiry, whatever clock the caller's times come from.
func (b *Backend) itemExpiration(it *item) int32 {
	return expiration(time.Duration(it.expiry-it.st.LastUpdate) + grace)
}

// indexExpiration is a shard index's memcached expiration: it outlives every series it
// lists (their expiry is at most the largest hint plus slack).
func (b *Backend) indexExpiration(es []idxEntry, ref int64) int32 {
	var top int64
	for _, e := range es {
		top = max(top, e.hint)
	}
	d := max(time.Duration(top-ref), b.retention)
	return expiration(d + time.Duration(b.slack) + grace)
}

// refNow is the reference for index expirations: the operation's logical time, but
// never later than the real clock (a later reference would shorten them).
func refNow(logical int64) int64 { return min(logical, time.Now().UnixNano()) }

// updateIndex read-merge-writes one shard index with CAS. mutate returns the new
// entries and whether they changed (nothing is written when not). pre, when known, is
// the index as just read (nil item: absent), saving the first read.
func (b *Backend) updateIndex(ctx context.Context, op string, shard int, ref int64, pre *prefetched,
	mutate func([]idxEntry) ([]idxEntry, bool)) error {
	key := b.keys.index[shard]
	for attempt := 0; ; attempt++ {
		var cur *memcache.Item
		switch {
		case attempt == 0 && pre != nil:
			cur = pre.item
		default:
			if attempt > 0 {
				if err := b.retryWait(ctx, op, key, attempt); err != nil {
					return err
				}
			}
			it, err := b.get(ctx, key)
			if err != nil && !errors.Is(err, memcache.ErrCacheMiss) {
				return keyErr(op, key, err)
			}
			cur = it
		}
		var es []idxEntry
		if cur != nil {
			var err error
			if es, err = decodeIndex(cur.Value); err != nil {
				return keyErr(op, key, err)
			}
		}
		es, changed := mutate(es)
		if !changed {
			return nil
		}
		if len(es) > maxIndexEntries {
			return keyErr(op, key, fmt.Errorf("shard index full: %d series (at most %d per shard with memcached's 1 MB items); raise shards (with a new key_prefix)", len(es), maxIndexEntries))
		}
		mi := &memcache.Item{Key: key, Value: appendIndex(nil, es), Expiration: b.indexExpiration(es, ref)}
		err := b.casOrAdd(ctx, mi, cur)
		switch {
		case err == nil:
			b.stats.indexWrites.Add(1)
			return nil
		case conflict(err):
			continue
		default:
			return keyErr(op, key, err)
		}
	}
}

// prefetched is an index item read ahead (nil: absent).
type prefetched struct{ item *memcache.Item }

// ensureIndexed makes the shard index list adds (sorted by ID) with at least their hints.
func (b *Backend) ensureIndexed(ctx context.Context, op string, shard int, ref int64, pre *prefetched, adds []idxEntry) error {
	return b.updateIndex(ctx, op, shard, ref, pre, func(es []idxEntry) ([]idxEntry, bool) { return upsert(es, adds) })
}

// decodeItemAt decodes the series item read under key.
func decodeItemAt(op, key string, v []byte, it *item) error {
	if err := decodeItem(v, it); err != nil {
		return keyErr(op, key, err)
	}
	return nil
}

// randomVersion starts the write version of a new series item: random, so a re-created
// item is told apart from the one a lost write may have gone to.
func randomVersion() uint64 { return rand.Uint64() }
