-- expire.lua: remove one shard's series whose expiry passed (lib.lua prepended).
-- KEYS: 1 idx, 2 d, 3 v, 4 x, 5 ver. ARGV: 1 now (Unix ms). Returns the number removed.
-- Removing series changes the shard's version.
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local n = #ids
for i = 1, n, 4000 do
  local j = i + 3999
  if j > n then j = n end
  redis.call('HDEL', KEYS[2], unpack(ids, i, j))
  redis.call('HDEL', KEYS[3], unpack(ids, i, j))
  redis.call('HDEL', KEYS[4], unpack(ids, i, j))
  redis.call('ZREM', KEYS[1], unpack(ids, i, j))
end
-- An emptied shard drops its version: the next write starts it again from the clock.
if n > 0 then
  if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('DEL', KEYS[5]) else bumpver(KEYS[5]) end
end
return n
