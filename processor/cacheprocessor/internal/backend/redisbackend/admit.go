// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package redisbackend

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// max_series in the shared aggregate. {<p>}:series is a sorted set of every live series
// (the overflow series included) scored by its expiry, exactly as the shards' idx sets
// are: Apply raises the scores of the series it writes (ZADD GT, in the same pipeline as
// the shard scripts), ExtendTTL raises them with XX. Admission of a series the replica
// does not know (series.Update.Admit) is one script on that key: it prunes the members
// whose expiry passed, then admits a member already present, or a new one while the set
// holds fewer than max_series members, and otherwise registers the metric's overflow
// series instead and refuses. Every replica runs the same script against the same set,
// so the cap is that of the shared aggregate, and expiry frees room at once.

const (
	// KEYS: 1 series set. ARGV: 1 now (Unix ms), 2 expiry (Unix ms), 3 cap, 4 packed
	// pairs of 16-hex ids: <series><overflow series>. Returns one 1 (admitted) or 0
	// (refused: use the overflow series) per pair.
	luaAdmit = `redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local n = redis.call('ZCARD', KEYS[1])
local cap, exp, s = tonumber(ARGV[3]), ARGV[2], ARGV[4]
local out = {}
for i = 1, #s, 32 do
  local id, ov = string.sub(s, i, i + 15), string.sub(s, i + 16, i + 31)
  local ok = 1
  if not redis.call('ZSCORE', KEYS[1], id) then
    if n < cap then n = n + 1 else ok = 0 end
  end
  if ok == 0 then
    if not redis.call('ZSCORE', KEYS[1], ov) then n = n + 1 end
    id = ov
  end
  redis.call('ZADD', KEYS[1], 'GT', exp, id)
  out[#out + 1] = ok
end
return out`
	// KEYS: 1 series set. ARGV: 1 expiry (Unix ms), 2 "XX" (only members present) or
	// "", 3 packed 16-hex ids. Raises their scores to expiry (GT: never lowers).
	luaTouch = `local s, exp, zs, n = ARGV[3], ARGV[1], {}, 0
local function flush()
  if n == 0 then return end
  if ARGV[2] == 'XX' then redis.call('ZADD', KEYS[1], 'XX', 'GT', unpack(zs, 1, n))
  else redis.call('ZADD', KEYS[1], 'GT', unpack(zs, 1, n)) end
  zs, n = {}, 0
end
for i = 1, #s, 16 do
  zs[n + 1], zs[n + 2] = exp, string.sub(s, i, i + 15)
  n = n + 2
  if n >= 4000 then flush() end
end
flush()
return 1`
)

var (
	scriptAdmit = redis.NewScript(luaAdmit)
	scriptTouch = redis.NewScript(luaTouch)
)

// SetMaxSeries sets the cap of series in the shared aggregate (0: none). Call before
// Start.
func (b *Backend) SetMaxSeries(n int) { b.maxSeries = n }

// admit decides the updates marked Admit against the shared aggregate's cap (one
// script, one round trip) and rewrites the refused ones to their overflow series.
func (b *Backend) admit(ctx context.Context, ups []series.Update, now time.Time) error {
	idx := series.ToAdmit(ups, b.maxSeries)
	if len(idx) == 0 {
		return nil
	}
	var pairs []byte
	for _, i := range idx {
		pairs = appendID(appendID(pairs, ups[i].ID), ups[i].Overflow)
	}
	expiry := b.expiry(now)
	res, err := scriptAdmit.Run(ctx, b.client, []string{b.global.series},
		strconv.FormatInt(now.UnixMilli(), 10), expiry, strconv.Itoa(b.maxSeries), pairs).Int64Slice()
	if err != nil {
		return wrap("admit", err)
	}
	if len(res) != len(idx) {
		return wrap("admit", fmt.Errorf("script returned %d decisions for %d series", len(res), len(idx)))
	}
	for k, i := range idx {
		if res[k] == 1 {
			ups[i].Accept()
		} else {
			ups[i].Refuse()
		}
	}
	return nil
}

// touchCall raises the registered expiry of the series in ups (Apply: "", ExtendTTL: "XX").
func (b *Backend) touchCall(expiry, mode string, ids []byte) shardCall {
	return shardCall{shard: -1, keys: []string{b.global.series}, args: []any{expiry, mode, ids}, script: scriptTouch}
}
