-- applysums.lua: apply.lua's fast path for a shard whose updates are all sums and
-- gauges (kinds 1-3), each series at most once (lib.lua is prepended). The client
-- splits the points, so the script parses only the stored values.
-- KEYS: 1 idx, 2 d, 3 v, 4 x, 5 ver, [6 batch marker]
-- ARGV: 1 now (Unix ns, hex), 2 expiry score (Unix ms), 3 marker TTL (ms),
--       4 safety-net TTL (ms), 5 the kinds (one digit per update: n = #ARGV[5]),
--       6 the number of descriptors m, 7 "1" to return the values written (the client
--       caches them, see applycas.lua) or "0"; then n ids, n times (<time> of the
--       point), n points (<start> <time> <value>), and m id, descriptor pairs.
-- Returns {updates applied, kind changes, {the shard's new version, the one before}[, the n values
-- written]}; {0, 0} when the marker says it was applied.
if KEYS[6] and redis.call('EXISTS', KEYS[6]) == 1 then return { 0, 0 } end
local now, vkey, exp = ARGV[1], KEYS[3], ARGV[2]
local kinds = ARGV[5]
local n, m = #kinds, tonumber(ARGV[6])
local I, T, P = 7, 7 + n, 7 + 2 * n -- ARGV[I + i]: id i; T: its time; P: its point
if m == nil or #ARGV ~= 7 + 3 * n + 2 * m then bad('bad sums call') end
local KCH = { '1', '2', '3' }
local kv, zs, changed = {}, {}, 0
local want = ARGV[7] == '1'
local res = {}

for c0 = 1, n, CHUNK do
  local c1 = c0 + CHUNK - 1
  if c1 > n then c1 = n end
  local vals = redis.call('HMGET', vkey, unpack(ARGV, I + c0, I + c1))
  for i = c0, c1 do
    local id, v, p = ARGV[I + i], vals[i - c0 + 1], ARGV[P + i]
    local kind = byte(kinds, i) - 48
    if kind < 1 or kind > 3 then bad('bad update kind for series ' .. id) end
    local out
    if not v then
      out = KCH[kind] .. now .. ' ' .. now .. ' ' .. p
    else
      -- <kind><first> <last> <start> <time> <value>
      local sp1 = find(v, ' ', 3, true)
      local sp2 = sp1 and find(v, ' ', sp1 + 1, true)
      local sp3 = sp2 and find(v, ' ', sp2 + 1, true)
      local sp4 = sp3 and find(v, ' ', sp3 + 1, true)
      local k0 = (byte(v, 1) or 0) - 48
      if sp4 == nil or CLASS[k0] == nil then
        bad('corrupt value of series ' .. id .. ' in ' .. vkey .. ': ' .. sub(v, 1, 200))
      end
      local head = KCH[kind] .. sub(v, 2, sp1 - 1) .. ' ' .. now .. ' '
      if k0 ~= kind then
        -- the kind changed (only an ID collision can do that): restart the series
        changed = changed + 1
        out = head .. p
      elseif kind == 1 then
        local a, b, c = split3(p, 1, #p)
        if a == nil then bad('bad point for series ' .. id) end
        a, b, c = mergesum(id, sub(v, sp2 + 1, sp3 - 1), sub(v, sp3 + 1, sp4 - 1), sub(v, sp4 + 1), a, b, c)
        out = head .. a .. ' ' .. b .. ' ' .. c
      else
        local t = sub(v, sp3 + 1, sp4 - 1)
        if newer(sub(v, sp2 + 1, sp3 - 1), t, sub(v, sp4 + 1), ARGV[T + i]) then
          out = head .. p
        else
          out = head .. sub(v, sp2 + 1)
        end
      end
    end
    local j = 2 * i
    kv[j - 1], kv[j], zs[j - 1], zs[j] = id, out, exp, id
    if want then res[3 + i] = out end
  end
end

if KEYS[6] then redis.call('SET', KEYS[6], '1', 'PX', ARGV[3]) end
local D = P + n
for i = 1, m do
  redis.call('HSETNX', KEYS[2], ARGV[D + 2 * i - 1], ARGV[D + 2 * i])
end
for i = 1, 2 * n, CHUNK do
  local j = i + CHUNK - 1
  if j > 2 * n then j = 2 * n end
  redis.call('HSET', vkey, unpack(kv, i, j))
  redis.call('ZADD', KEYS[1], 'GT', unpack(zs, i, j))
end
res[1], res[2], res[3] = n, changed, bumpver(KEYS[5])
keepalive(5, ARGV[4])
return res
