-- markshard.lua: store one shard's exported points (lib.lua prepended).
-- KEYS: 1 v, 2 x, 3 xt (highest fencing token that wrote here).
-- ARGV: 1 fencing token, 2 safety-net TTL (ms), then id, value pairs.
-- Returns the number stored, or -1 when a newer lock holder already wrote this shard.
local cur = redis.call('GET', KEYS[3])
local tok = tonumber(ARGV[1])
if cur and tonumber(cur) > tok then return -1 end
if cur ~= ARGV[1] then redis.call('SET', KEYS[3], ARGV[1]) end
local ids, vals, n = {}, {}, 0
for i = 3, #ARGV, 2 do
  n = n + 1
  ids[n] = ARGV[i]
  vals[n] = ARGV[i + 1]
end
local kv, nkv = {}, 0
for i = 1, n, CHUNK do
  local j = i + CHUNK - 1
  if j > n then j = n end
  local ex = redis.call('HMGET', KEYS[1], unpack(ids, i, j))
  for k = i, j do
    if ex[k - i + 1] then
      kv[nkv + 1] = ids[k]
      kv[nkv + 2] = vals[k]
      nkv = nkv + 2
    end
  end
end
for i = 1, nkv, CHUNK do
  local j = i + CHUNK - 1
  if j > nkv then j = nkv end
  redis.call('HSET', KEYS[2], unpack(kv, i, j))
end
if nkv > 0 then keepalive(2, ARGV[2]) end
return nkv / 2
