// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package redisbackend

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// minVersion is the oldest Redis the scripts run on (ZADD GT came in 6.2).
var minVersion = [3]int{6, 2, 0}

// Backend is the distributed_atomic backend: an aggregate in Redis (standalone, Sentinel
// or Cluster) merged by Lua scripts. All methods are safe for concurrent use.
type Backend struct {
	cfg       Config
	retention time.Duration
	logger    *zap.Logger
	client    redis.UniversalClient
	shards    []shardKeys
	global    globalKeys
	maxSeries int           // 0: no cap (see admit.go)
	generic   bool          // tests: every shard through apply.lua, never applysums.lua
	cache     []*shardCache // per shard; nil entries: no client-side merge (cache.go)
	casStats  casStats
	guard     mergeGuard

	mu   sync.Mutex
	info map[string]string

	encoders sync.Pool
}

type shardKeys struct {
	tag   string   // {<prefix>:<shard>}
	keys  []string // idx, d, v, x, ver: the KEYS of every shard script
	xt    string
	batch string // marker prefix: {<prefix>:<shard>}:batch:
}

type globalKeys struct {
	lock, token, last, shards, series, replicas string
	merging                                     string // replicas_versioned (mergeguard.go)
}

var _ backend.Backend = (*Backend)(nil)

// New returns a backend for cfg whose series expire retention after their last update.
// It does not connect: Start does.
func New(cfg Config, retention time.Duration, logger *zap.Logger) (*Backend, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if retention < time.Millisecond {
		return nil, fmt.Errorf("redis backend: retention must be at least 1ms, got %s", retention)
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	routeClientLog(logger)
	opts, err := cfg.options(context.Background())
	if err != nil {
		return nil, err
	}
	b := &Backend{
		cfg:       cfg,
		retention: retention,
		logger:    logger,
		client:    redis.NewUniversalClient(opts),
		info:      map[string]string{"mode": cfg.Mode(), "key_prefix": cfg.KeyPrefix, "shards": strconv.Itoa(cfg.Shards)},
	}
	b.shards = make([]shardKeys, cfg.Shards)
	for i := range b.shards {
		tag := "{" + cfg.KeyPrefix + ":" + strconv.Itoa(i) + "}"
		b.shards[i] = shardKeys{
			tag:   tag,
			keys:  []string{tag + ":idx", tag + ":d", tag + ":v", tag + ":x", tag + ":ver"},
			xt:    tag + ":xt",
			batch: tag + ":batch:",
		}
	}
	g := "{" + cfg.KeyPrefix + "}"
	b.global = globalKeys{lock: g + ":export_lock", token: g + ":export_token", last: g + ":last_export", shards: g + ":shards",
		series: g + ":series", replicas: g + ":replicas", merging: g + ":replicas_versioned"}
	b.encoders.New = func() any { return newEncoder(cfg.Shards) }
	b.setCacheSeries(cfg.ClientCacheSeries)
	return b, nil
}

// setCacheSeries bounds the client cache to n series, split over the shards (at least one each; 0: no client-side merge). Call
// before the first Apply.
func (b *Backend) setCacheSeries(n int) {
	b.cache = make([]*shardCache, len(b.shards))
	if n <= 0 {
		return
	}
	per := max(1, n/len(b.shards)) // split over the shards, at least one each
	for i := range b.cache {
		b.cache[i] = &shardCache{ents: map[series.ID]centry{}, max: per}
	}
}

// Client is the underlying go-redis client (for hooks and diagnostics).
func (b *Backend) Client() redis.UniversalClient { return b.client }

// Strategy is distributed_atomic.
func (b *Backend) Strategy() backend.Strategy { return backend.StrategyDistributedAtomic }

// Capabilities are all true: shared, atomic merges, locking, TTLs.
func (b *Backend) Capabilities() backend.Capabilities {
	return backend.Capabilities{Distributed: true, AtomicIncrement: true, Locking: true, TTL: true}
}

// Info reports what Start detected: redis_version, redis_mode (standalone, sentinel or
// cluster, from INFO server), and the configured mode, key_prefix and shards.
func (b *Backend) Info() map[string]string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.info)
}

func wrap(op string, err error) error { return fmt.Errorf("redis backend: %s: %w", op, err) }

// Start connects, checks that scripting works, records the server version and mode, and
// checks that the key prefix is not used with a different shard count.
func (b *Backend) Start(ctx context.Context) error {
	if err := b.client.Ping(ctx).Err(); err != nil {
		if authError(err) {
			return wrap("start", fmt.Errorf("authentication failed at Redis (%s, %s): check username and password: %w", b.cfg.Mode(), strings.Join(b.cfg.Addrs, ","), err))
		}
		return wrap("start", fmt.Errorf("cannot reach Redis (%s, %s): %w", b.cfg.Mode(), strings.Join(b.cfg.Addrs, ","), err))
	}
	for _, s := range allScripts {
		if err := s.Load(ctx, b.client).Err(); err != nil {
			return wrap("start", fmt.Errorf("SCRIPT LOAD failed (Lua scripting is required): %w", err))
		}
	}
	// The probe goes through a pipeline, as Apply does: it also opens the pipeline
	// connection, so the first Apply costs one round trip like every other.
	probe := b.evalShards(ctx, scriptProbe, []shardCall{{keys: []string{b.global.shards}, args: []any{"ok"}}})[0]
	if v, err := probe.Text(); err != nil || v != "ok" {
		return wrap("start", fmt.Errorf("EVALSHA probe failed (got %q): %w", v, err))
	}
	raw, err := b.client.Info(ctx, "server").Result()
	if err != nil {
		return wrap("start", fmt.Errorf("INFO server: %w", err))
	}
	fields := parseInfo(raw)
	version, mode := fields["redis_version"], fields["redis_mode"]
	if !versionAtLeast(version, minVersion) {
		return wrap("start", fmt.Errorf("redis %q is too old: need %d.%d or newer (ZADD GT)", version, minVersion[0], minVersion[1]))
	}
	want := strconv.Itoa(len(b.shards))
	if err := b.client.SetNX(ctx, b.global.shards, want, 0).Err(); err != nil {
		return wrap("start", fmt.Errorf("record shard count: %w", err))
	}
	have, err := b.client.Get(ctx, b.global.shards).Result()
	if err != nil {
		return wrap("start", fmt.Errorf("read shard count: %w", err))
	}
	if have != want {
		return wrap("start", fmt.Errorf("key prefix %q holds data written with shards=%s, configured shards=%s: use the same shard count on every replica (or another key_prefix)", b.cfg.KeyPrefix, have, want))
	}
	b.checkMerge(ctx)
	b.mu.Lock()
	b.info["redis_version"] = version
	b.info["redis_mode"] = mode
	b.mu.Unlock()
	b.logger.Info("Redis cache backend ready",
		zap.String("strategy", string(backend.StrategyDistributedAtomic)),
		zap.String("mode", b.cfg.Mode()), zap.String("redis_version", version), zap.String("redis_mode", mode),
		zap.String("key_prefix", b.cfg.KeyPrefix), zap.Int("shards", len(b.shards)))
	return nil
}

// authError reports Redis's answers to a missing or wrong password or user: NOAUTH
// (a password is required), WRONGPASS (ACL), and the older "invalid password" / "no
// password is set" replies to AUTH.
func authError(err error) bool {
	for _, p := range []string{"NOAUTH", "WRONGPASS"} {
		if redis.HasErrorPrefix(err, p) {
			return true
		}
	}
	s := err.Error()
	return strings.Contains(s, "NOAUTH") || strings.Contains(s, "WRONGPASS") ||
		strings.Contains(s, "invalid password") || strings.Contains(s, "without any password configured") ||
		strings.Contains(s, "invalid username-password pair")
}

func parseInfo(raw string) map[string]string {
	out := map[string]string{}
	for line := range strings.Lines(raw) {
		line = strings.TrimSpace(line)
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
			out[k] = v
		}
	}
	return out
}

func versionAtLeast(v string, min [3]int) bool {
	parts := strings.SplitN(v, ".", 3)
	for i := range 3 {
		n := 0
		if i < len(parts) {
			var err error
			if n, err = strconv.Atoi(parts[i]); err != nil {
				return false
			}
		}
		if n != min[i] {
			return n > min[i]
		}
	}
	return true
}

// Close closes the client.
func (b *Backend) Close() error {
	if err := b.client.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
		return wrap("close", err)
	}
	return nil
}

func (b *Backend) shardOf(id series.ID) int { return int(uint64(id) % uint64(len(b.shards))) }

func ms(d time.Duration) string {
	v := d.Milliseconds()
	if v < 1 {
		v = 1
	}
	return strconv.FormatInt(v, 10)
}

// safety is the native TTL that backs the index: twice the retention.
func (b *Backend) safety() time.Duration { return 2 * b.retention }

type shardCall struct {
	shard  int
	keys   []string
	args   []any
	script *redis.Script // nil: the script evalShards is given
}

// evalShards runs one script per call in one pipeline (one round trip in standalone and
// Sentinel mode; one per node in Cluster mode). Calls that found the script missing from
// the server's cache (NOSCRIPT: a restart, a failover, SCRIPT FLUSH) did not run and are
// re-sent with EVAL. The caller checks each command's error.
func (b *Backend) evalShards(ctx context.Context, sc *redis.Script, calls []shardCall) []*redis.Cmd {
	cmds := make([]*redis.Cmd, len(calls))
	pipe := b.client.Pipeline()
	scriptOf := func(i int) *redis.Script {
		if calls[i].script != nil {
			return calls[i].script
		}
		return sc
	}
	for i := range calls {
		cmds[i] = pipe.EvalSha(ctx, scriptOf(i).Hash(), calls[i].keys, calls[i].args...)
	}
	if _, err := pipe.Exec(ctx); err == nil {
		return cmds
	}
	var retry []int
	for i, c := range cmds {
		if redis.HasErrorPrefix(c.Err(), "NOSCRIPT") {
			retry = append(retry, i)
		}
	}
	if len(retry) == 0 {
		return cmds
	}
	b.logger.Debug("Redis script cache lost the script; re-sending with EVAL", zap.Int("calls", len(retry)))
	pipe = b.client.Pipeline()
	for _, i := range retry {
		cmds[i] = scriptOf(i).Eval(ctx, pipe, calls[i].keys, calls[i].args...)
	}
	_, _ = pipe.Exec(ctx)
	return cmds
}

func (b *Backend) shardErr(op string, shard int, err error) error {
	return wrap(op, fmt.Errorf("shard %d (%s): %w", shard, b.shards[shard].tag, err))
}

// joinShardErrs joins per-shard errors; when every failed shard failed the same way (a
// connection error fails them all) it reports that error once.
func joinShardErrs(op string, errs []error, causes []error) error {
	if len(errs) <= 1 {
		return errors.Join(errs...)
	}
	for _, c := range causes[1:] {
		if c.Error() != causes[0].Error() {
			return errors.Join(errs...)
		}
	}
	return wrap(op, fmt.Errorf("%d shards: %w", len(causes), causes[0]))
}
