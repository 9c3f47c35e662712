-- snapshot.lua: one shard's live series (read-only).
-- KEYS: 1 idx, 2 d, 3 v, 4 x. ARGV: 1 now (Unix ms).
-- Returns {ids, values, descriptors, exported}, positionally aligned; missing = nil.
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')
local n = #ids
local vals, descs, xs = {}, {}, {}
for i = 1, n, 4000 do
  local j = i + 3999
  if j > n then j = n end
  local v = redis.call('HMGET', KEYS[3], unpack(ids, i, j))
  local d = redis.call('HMGET', KEYS[2], unpack(ids, i, j))
  local x = redis.call('HMGET', KEYS[4], unpack(ids, i, j))
  for k = i, j do
    vals[k] = v[k - i + 1]
    descs[k] = d[k - i + 1]
    xs[k] = x[k - i + 1]
  end
end
return { ids, vals, descs, xs }
