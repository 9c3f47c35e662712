-- applycas.lua: write values the client merged itself on its cached copy of the shard
-- (lib.lua is prepended), if the shard is still at the version that copy was read at.
-- KEYS: 1 idx, 2 d, 3 v, 4 x, 5 ver, [6 batch marker]
-- ARGV: 1 expected version, 2 expiry score (Unix ms), 3 marker TTL (ms), 4 safety-net
--       TTL (ms), 5 n values, 6 m descriptors, 7 z expiries to raise; then n id, value
--       pairs, m id, descriptor pairs, and z ids.
-- Returns {n, 0, {the shard's new version, the one before}}; {-1, 0} when the version is not the expected
-- one (another script wrote or expired the shard: nothing written, the client merges in
-- Lua instead); {0, 0} when the marker says the batch was applied.
if KEYS[6] and redis.call('EXISTS', KEYS[6]) == 1 then return { 0, 0 } end
if redis.call('GET', KEYS[5]) ~= ARGV[1] then return { -1, 0 } end
local n, m, z = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
if n == nil or m == nil or z == nil or #ARGV ~= 7 + 2 * n + 2 * m + z then bad('bad cas call') end
local D, Z = 7 + 2 * n, 7 + 2 * n + 2 * m
if KEYS[6] then redis.call('SET', KEYS[6], '1', 'PX', ARGV[3]) end
for i = 1, m do
  redis.call('HSETNX', KEYS[2], ARGV[D + 2 * i - 1], ARGV[D + 2 * i])
end
chunked('HSET', KEYS[3], nil, ARGV, 8, D)
local exp, zs = ARGV[2], {}
for i = 1, z do zs[2 * i - 1], zs[2 * i] = exp, ARGV[Z + i] end
chunked('ZADD', KEYS[1], 'GT', zs, 1, 2 * z)
local ver = bumpver(KEYS[5])
keepalive(5, ARGV[4])
return { n, 0, ver }
