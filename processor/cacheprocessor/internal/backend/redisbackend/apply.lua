-- apply.lua: merge one shard's updates atomically (lib.lua is prepended).
-- KEYS: 1 idx, 2 d, 3 v, 4 x, 5 ver, [6 batch marker]
-- ARGV: 1 now (Unix ns, hex), 2 expiry score (Unix ms), 3 marker TTL (ms),
--       4 safety-net TTL (ms), 5 the updates, each a record ending in "\n":
--       <id: 16 hex><kind: 1 digit>('-' | '+'<desc length hex>':'<desc>)<point>
-- v field (id) value: <kind digit><first seen hex> <last update hex> <point>
-- Nothing is written before every update merged: a bad value aborts the script whole.
-- Returns {updates applied, kind changes, {the shard's new version, the one before}}; {0, 0} when the
-- marker says it was applied.
if KEYS[6] and redis.call('EXISTS', KEYS[6]) == 1 then return { 0, 0 } end
local now, vkey = ARGV[1], KEYS[3]
local function corrupt(id, v)
  bad('corrupt value of series ' .. id .. ' in ' .. vkey .. ': ' .. sub(tostring(v), 1, 200))
end

-- parse the records: S points into their three tokens, others kept whole
local uid, ukind, ua, ub, uc = {}, {}, {}, {}, {}
local descs, ndesc = {}, 0
local order, nord, seen = {}, 0, {}
local s = ARGV[5]
local pos, len, nrec = 1, #s, 0
while pos <= len do
  local id = sub(s, pos, pos + 15)
  local kind = (byte(s, pos + 16) or 0) - 48
  local flag = byte(s, pos + 17)
  local c = CLASS[kind]
  if c == nil or #id ~= 16 then bad('bad update record at byte ' .. pos) end
  local ps = pos + 18 -- the point's start
  if flag == 43 then -- '+': a descriptor
    local colon = find(s, ':', ps, true)
    local dl = colon and tonumber(sub(s, ps, colon - 1), 16)
    if dl == nil then bad('bad update record at byte ' .. pos) end
    ndesc = ndesc + 1
    descs[ndesc] = { id, sub(s, colon + 1, colon + dl) }
    ps = colon + dl + 1
  elseif flag ~= 45 then
    bad('bad update record at byte ' .. pos)
  end
  local nl = find(s, '\n', ps, true)
  if nl == nil then bad('bad update record at byte ' .. pos) end
  nrec = nrec + 1
  uid[nrec], ukind[nrec] = id, kind
  if c == 'S' then
    local a, b, v = split3(s, ps, nl - 1)
    if a == nil then bad('bad point for series ' .. id) end
    ua[nrec], ub[nrec], uc[nrec] = a, b, v
  else
    ua[nrec] = sub(s, ps, nl - 1)
  end
  if not seen[id] then
    seen[id] = true
    nord = nord + 1
    order[nord] = id
  end
  pos = nl + 1
end

-- load the current values. Per series: K kind, F first seen; S points as tokens A, B,
-- C (start, time, value); H and E points as the raw string R or the parsed table O.
local K, F, A, B, C, R, O = {}, {}, {}, {}, {}, {}, {}
for i = 1, nord, CHUNK do
  local j = i + CHUNK - 1
  if j > nord then j = nord end
  local vals = redis.call('HMGET', vkey, unpack(order, i, j))
  for k = i, j do
    local v = vals[k - i + 1]
    local id = order[k]
    if v then
      local kind = (byte(v, 1) or 0) - 48
      local c = CLASS[kind]
      local sp1 = find(v, ' ', 3, true)
      local sp2 = sp1 and find(v, ' ', sp1 + 1, true)
      if c == nil or sp2 == nil then corrupt(id, v) end
      K[id], F[id] = kind, sub(v, 2, sp1 - 1)
      if c == 'S' then
        local a, b, cc = split3(v, sp2 + 1, #v)
        if a == nil then corrupt(id, v) end
        A[id], B[id], C[id] = a, b, cc
      else
        R[id] = sub(v, sp2 + 1)
      end
    else
      F[id] = now
    end
  end
end

-- merge in order (series.Merge)
local changed = 0
for r = 1, nrec do
  local id, kind = uid[r], ukind[r]
  local k = K[id]
  if k ~= kind then
    -- a new series; or the kind changed (only an ID collision can do that): restart it
    if k ~= nil then changed = changed + 1 end
    K[id] = kind
    if CLASS[kind] == 'S' then
      A[id], B[id], C[id] = ua[r], ub[r], uc[r]
    else
      R[id], O[id] = ua[r], nil
    end
  elseif kind == 1 then
    A[id], B[id], C[id] = mergesum(id, A[id], B[id], C[id], ua[r], ub[r], uc[r])
  elseif kind == 2 or kind == 3 then
    if newer(A[id], B[id], C[id], ub[r]) then
      A[id], B[id], C[id] = ua[r], ub[r], uc[r]
    end
  elseif kind == 5 or kind == 7 then
    local t
    local d = O[id]
    if d then t = d.t else t = match(R[id], '^%x+ (%x+) ') end
    local st = match(ua[r], '^%x+ (%x+) ')
    if t == nil then corrupt(id, R[id]) end
    if st == nil then bad('bad point for series ' .. id) end
    local take = not lt64(st, t)
    if not take and t == '0' then
      d = d or parse(kind, R[id])
      if d == nil then corrupt(id, R[id]) end
      take = iszero(kind, d)
    end
    if take then R[id], O[id] = ua[r], nil end
  else -- 4, 6
    local d = O[id]
    if d == nil then
      d = parse(kind, R[id])
      if d == nil then corrupt(id, R[id]) end
      O[id], R[id] = d, nil
    end
    local src = parse(kind, ua[r])
    if src == nil then bad('bad point for series ' .. id) end
    if iszero(kind, d) then O[id] = src else mergehist(kind, d, src) end
  end
end

-- serialize before writing
local kv, zs, n = {}, {}, 0
local exp = ARGV[2]
for i = 1, nord do
  local id = order[i]
  local kind = K[id]
  local v
  if CLASS[kind] == 'S' then
    v = kind .. F[id] .. ' ' .. now .. ' ' .. A[id] .. ' ' .. B[id] .. ' ' .. C[id]
  else
    v = kind .. F[id] .. ' ' .. now .. ' ' .. (R[id] or ser(kind, O[id]))
  end
  kv[n + 1], kv[n + 2], zs[n + 1], zs[n + 2] = id, v, exp, id
  n = n + 2
end

-- write
if KEYS[6] then redis.call('SET', KEYS[6], '1', 'PX', ARGV[3]) end
local desc = {}
for i = 1, ndesc do
  local id = descs[i][1]
  if not desc[id] then
    desc[id] = true
    redis.call('HSETNX', KEYS[2], id, descs[i][2])
  end
end
for i = 1, n, CHUNK do
  local j = i + CHUNK - 1
  if j > n then j = n end
  redis.call('HSET', vkey, unpack(kv, i, j))
  redis.call('ZADD', KEYS[1], 'GT', unpack(zs, i, j))
end
local ver = bumpver(KEYS[5])
keepalive(5, ARGV[4])
return { nrec, changed, ver }
