// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package redisbackend is the tasker_cache processor's Redis backend: strategy
// distributed_atomic. Replicas share one aggregate in Redis (standalone, Sentinel or
// Cluster, through go-redis's UniversalClient); every batch is merged on the server by
// Lua scripts that apply exactly the rules of series.Merge (the backend conformance
// suite checks it against the memory backend), and one export lock with fencing tokens
// makes exactly one replica export each interval.
//
// # Key layout
//
// <p> is key_prefix (default "tasker"), <s> a shard number in [0, shards) (default 16):
// a series lives in shard = series ID mod shards. Every key of a shard carries the hash
// tag {<p>:<s>}, so one shard's keys share a Redis Cluster slot (its scripts are never
// CROSSSLOT) while the shards spread over the cluster's masters. <id> is the series ID as
// 16 lower-case hex digits (series.ID.String).
//
//	{<p>:<s>}:idx            sorted set: member <id>, score = expiry (Unix ms). Apply sets
//	                         now+retention, rounded up to the expiry granule (below),
//	                         with ZADD GT (an expiry is never lowered);
//	                         ExtendTTL uses ZADD XX GT. Snapshot reads scores > now;
//	                         Expire removes scores <= now from every structure below.
//	{<p>:<s>}:d              hash <id> → descriptor (HSETNX: the first one stays)
//	{<p>:<s>}:v              hash <id> → value: <kind digit><first seen> <last update> <point>
//	{<p>:<s>}:x              hash <id> → exported point: <kind digit><point>
//	{<p>:<s>}:xt             string: the highest fencing token that wrote :x (see below)
//	{<p>:<s>}:ver            decimal: the shard's version. Every script that writes :v
//	                         or removes series (apply.lua, applysums.lua, applycas.lua,
//	                         expire.lua) moves it in the same script, to the server's
//	                         clock in µs (the old version + 1 if that is not smaller),
//	                         so versions only grow and a shard that lost writes (a
//	                         failover, an expired key) never comes back to a version a
//	                         client remembers; Expire deletes it with the shard's last
//	                         series
//	{<p>:<s>}:batch:<batch>  string, PX retention: the batch was applied to this shard
//	{<p>}:export_lock        string "<owner>:<token>", PX lock ttl
//	{<p>}:export_token       counter (INCR): fencing tokens
//	{<p>}:last_export        decimal Unix ns: start of the last exported interval
//	{<p>}:shards             the shard count the data was written with (Start refuses
//	                         a replica configured with another)
//	{<p>}:replicas           hash <owner> → readiness marker "<ready> <seen>"
//	{<p>}:replicas_versioned hash <owner> → "1": the replicas of this release, which
//	                         raise :ver (mergeguard.go)
//
// The global keys share the tag {<p>} (one slot, apart from every shard's), so the lock
// check and the last_export update are one script even in Cluster mode.
//
// The shard keys also carry a native TTL as a safety net: at least twice the retention
// after the last Apply (ExtendTTL stretches it to the new expiry plus the retention), so
// an abandoned prefix cleans itself up. It never shortens a TTL and never acts before
// Expire would. Expiry scores follow the now passed to Apply/Snapshot/Expire (the
// processor passes the wall clock); native TTLs follow the Redis server's clock.
// Expiries are compared at millisecond granularity. Apply rounds now+retention up to the
// expiry granule: 1 s, or retention/100 when the retention is shorter than 100 s (at least
// 1 ms). A series so lives at most one granule longer than its retention, never shorter,
// and the batches of one granule write the same score: their ZADD GT (and the max_series
// registry's) then leave the sorted sets as they are instead of moving every member.
//
// One hash per shard for values (rather than one hash per series) costs one HMGET and
// one HSET per shard and batch instead of two commands per series, and no per-key
// overhead: BenchmarkLayout measures it 1.5-1.9x faster, in half the memory.
//
// # Value formats
//
// int64 and uint64 fields are the lower-case hex of their 64-bit two's complement
// pattern without leading zeros ("0" for zero; -1 is "ffffffffffffffff"); int32 fields
// (scale, offsets) are signed decimal; doubles are Go's shortest round-trip form
// (strconv 'g' -1) or, when the script computed them, Lua's "%.17g" — both parse back
// to the same float64 — and NaN/+Inf/-Inf as nan/+inf/-inf. Tokens are separated by
// one space. A point holds the fields its kind uses:
//
//	sums and gauges (kinds 1-3)       <start> <time> (i<int64> | <double>)
//	explicit histograms (4, 5)        <start> <time> <count> <sum> <min> <max> <buckets>
//	exponential histograms (6, 7)     <start> <time> <count> <sum> <min> <max> <scale>
//	                                  <zero count> <pos offset> <pos> <neg offset> <neg>
//
// <min> and <max> are the double, prefixed with "~" when HasMin/HasMax is false; bucket
// lists are comma-separated counts, "-" when empty. Fields a kind does not use (say a
// gauge's Count) are not stored: pdata points never set them.
//
// # Apply
//
// Updates are split by shard; each shard's updates are packed into one argument, one
// record per update ending in a newline:
//
//	<id: 16 hex><kind digit>('-' | '+'<descriptor length hex>':'<descriptor>)<point>
//
// and each shard is one EVALSHA; all shards go in one pipeline: one network round trip
// per Apply in standalone and Sentinel mode (one per node in Cluster mode; a second one
// after a compare-and-set conflict, below). A script
// checks its shard's batch marker (present: acknowledged without applying, so a retried
// batch re-applies only the shards that did not commit), reads the series' values with
// one HMGET, merges every update in order in Lua, and only then writes (marker, HSETNX
// descriptors, one HSET of the values, one ZADD GT of the expiries): a bad value aborts
// the script before it wrote anything. Doubles are added in Lua numbers (IEEE float64,
// in order, as Go adds them), never with HINCRBYFLOAT (long double). 64-bit integers
// are added as two 32-bit halves with Go's wrap-around (exact, unlike Lua numbers, and
// unlike HINCRBY, which fails on overflow after earlier writes of the script have
// happened). Exponential histograms are merged at the coarser scale (series.mergeExp).
// A series whose kind changed (only an ID collision can do that) restarts with the new
// point; Apply logs it.
//
// A shard whose updates in the batch are all sums and gauges (kinds 1-3), each series at
// most once — the common case: a batch of counters and gauges — goes through
// applysums.lua instead, with the same keys, marker and writes. The client splits what
// the script would otherwise parse: ARGV holds the kinds (one digit per update), the
// number of descriptors, then the ids, the points' times and the points
// ("<start> <time> <value>") as separate arguments, then id, descriptor pairs. The ids
// go to HMGET straight from ARGV; the script parses only the stored values (four plain
// finds) and builds each new value with one concatenation; the merges are apply.lua's
// (lib.lua's mergesum for delta sums, newer for newest-wins), so both scripts write the
// same values (TestMergeSumsMatchesMemory checks them against the memory backend and
// against apply.lua). The value layout is the same for both scripts.
//
// What a point costs on the server (BenchmarkApply, INFO commandstats, 10k series,
// batches of 1,000 over 16 shards): about 2.7–3.9 µs for a cumulative sum (7.4 µs before
// applysums.lua), of which HMGET, HSET and ZADD GT themselves take about 0.8 µs, and
// the conversions of arguments and replies between Lua and Redis (ARGV, redis.call)
// most of the rest; a plain pipelined HSET costs 0.3 µs. When the expiry score moves
// with every batch (the processor's wall clock), ZADD reorders the sorted set: about
// 1 µs more per point. Merged by the client (applycas.lua, below): 0.72–0.88 µs, in the
// session where applysums.lua took 1.57–2.41 µs (docs/BENCHMARKS.md, session 23).
//
// # Client-side merge
//
// The server need not read and merge what a replica already knows. Each backend keeps,
// per shard, a cache of the sums and gauges it wrote (series ID → kind, first seen,
// start, time, value, and the expiry score it last wrote: at most client_cache_series
// (default 131,072: the default max_series with room to spare; 0 turns this off), measured at 128 bytes a series
// when full, ≈ 17 MB; a Lua merge only returns values for the cache while they fit) and the shard's version right after its own last write. A shard
// whose updates would take applysums.lua, every series cached and the version known, is
// merged by the client with series.Merge (the rules applysums.lua implements; a kind
// change restarts the series with its first seen kept, as the script does) and written
// by applycas.lua, which checks the batch marker, then compares the version: equal, it
// HSETs the new values (the same value format; doubles in Go's shortest form), HSETNXs
// the descriptors, ZADD GTs only the series whose expiry score rose above the cached
// one, sets the marker, moves the version and returns it; different (another replica
// wrote or expired the shard), it writes nothing, the backend drops the shard's cache,
// sends the shard to applysums.lua in a second round trip, and skips the cache for the
// shard's next 8 Applies (replicas writing the same shards would otherwise pay two round
// trips each time). Series not cached go to applysums.lua, which then returns the values
// it wrote (argument 7), and the cache takes them with the new version. Each script
// returns the version it found and the one it set; a cache at the version found keeps
// its other entries, any other drops them. The exactness of the merge is series.Merge's (int64 wrap-around, float64
// additions in order, as the Lua does); markers, fencing, max_series and Cluster hash
// tags are unchanged. Values written to :v behind the scripts' back (redis-cli) do not
// change the version and are overwritten from the cache. A failover that loses the last
// writes leaves an older version, which the next write moves past every version given
// out before (the masters' clocks agreeing to within the failover's duration): the
// cached replicas conflict and the Lua merge applies on what the new master holds
// (TestVersionsSurviveLostWrites). Replicas of a release
// before the client-side merge do not raise the version either, so a replica merges on
// its cache only while every replica with a readiness marker ({<p>}:replicas, written
// at Start before anything is applied) also has one in {<p>}:replicas_versioned: Start
// checks, and every Apply re-checks at most every 2 s in its own pipeline (luaMergeOK
// in scripts.go; turning the merge back on drops the cache). During a rolling upgrade the
// merge so stays off until the last older replica has shut down (or, killed, has been
// gone for a retention); an older replica that starts among newer ones turns it off
// within 2 s, and only what it writes in those 2 s can be overwritten.
//
// The client side of an Apply allocates little per point: the split arguments of
// applysums.lua and applycas.lua are pieces of one buffer kept by the encoder, passed to
// go-redis as pointers whose MarshalBinary returns them (no string copies), the plans and
// the duplicate check reuse the encoder's slices, and the processor reuses the slice of
// an applied batch's updates (not one the outage buffer kept). The bytes sent are the
// same as before.
//
// A script missing from the server's script cache (restart, failover, SCRIPT FLUSH:
// NOSCRIPT, which means it did not run) is re-sent with EVAL.
//
// # Export lock and MarkExported
//
// AcquireLock is one script on the {<p>} slot: if the lock is free, INCR export_token
// and SET export_lock "<owner>:<token>" PX ttl; tokens grow with every acquisition.
// Renew is compare-and-PEXPIRE, Release compare-and-DEL. MarkExported (1) checks, in
// one script with the lock, that the lock still holds the lease's value (else
// backend.ErrLockLost, nothing written) and raises last_export to the interval; then
// (2) writes the exported points per shard (pipelined), for series that still exist.
// The lock and the shards are in different Cluster slots, so (1) and (2) are not one
// transaction: a holder whose lease expires in between can still write points in (2);
// each shard keeps the highest token that wrote it (:xt) and refuses older ones
// (ErrLockLost), so a stale holder never overwrites a newer holder's points.
package redisbackend // import "github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend/redisbackend"
