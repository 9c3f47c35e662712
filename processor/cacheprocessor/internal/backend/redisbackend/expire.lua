-- expire.lua: remove one shard's series whose expiry passed.
-- KEYS: 1 idx, 2 d, 3 v, 4 x. ARGV: 1 now (Unix ms). Returns the number removed.
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
return n
