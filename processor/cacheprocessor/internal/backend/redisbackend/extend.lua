-- extend.lua: make one shard's series expire no earlier than a time (lib.lua prepended).
-- KEYS: 1 idx, 2 d, 3 v, 4 x. ARGV: 1 expiry (Unix ms), 2 safety-net TTL (ms), 3.. ids.
-- ZADD XX GT: only series that exist, and never lowered.
local zs, n = {}, 0
for i = 3, #ARGV do
  zs[n + 1] = ARGV[1]
  zs[n + 2] = ARGV[i]
  n = n + 2
end
for i = 1, n, CHUNK do
  local j = i + CHUNK - 1
  if j > n then j = n end
  redis.call('ZADD', KEYS[1], 'XX', 'GT', unpack(zs, i, j))
end
keepalive(4, ARGV[2])
return n / 2
