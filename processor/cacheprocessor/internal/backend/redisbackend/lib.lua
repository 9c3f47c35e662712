-- lib.lua: helpers shared by the merge scripts (prepended to apply.lua).
-- int64/uint64 values are lower-case hex of their 64-bit two's complement pattern,
-- without leading zeros ("0" for zero); doubles are decimal ("%.17g" round-trips a
-- float64) or nan/+inf/-inf. Lua 5.1 numbers are IEEE doubles: exact for integers below
-- 2^53, so 64-bit integers are added as two 32-bit halves with Go's wrap-around.
local sub, byte, find, format, match, gmatch = string.sub, string.byte, string.find, string.format, string.match, string.gmatch
local tonumber, concat, unpack, floor = tonumber, table.concat, unpack, math.floor
local TWO32 = 4294967296
local CHUNK = 4000 -- elements per unpack() (Lua's C stack limit is 8000)

local function bad(what) error('tasker: ' .. what, 0) end

-- split a hex int into its high and low 32-bit halves (nil when not hex)
local function split(h)
  local n = #h
  if n <= 8 then return 0, tonumber(h, 16) end
  if n > 16 then return nil end
  return tonumber(sub(h, 1, n - 8), 16), tonumber(sub(h, n - 7), 16)
end

-- a + b with 64-bit wrap-around (Go's int64 and uint64 addition)
local function add64(a, b)
  if #a <= 12 and #b <= 12 then
    local x, y = tonumber(a, 16), tonumber(b, 16)
    if x == nil or y == nil then bad('bad integer ' .. a .. ' + ' .. b) end
    return format('%x', x + y)
  end
  local ah, al = split(a)
  local bh, bl = split(b)
  if ah == nil or al == nil or bh == nil or bl == nil then bad('bad integer ' .. a .. ' + ' .. b) end
  local lo, hi = al + bl, ah + bh
  if lo >= TWO32 then lo = lo - TWO32; hi = hi + 1 end
  hi = hi % TWO32
  if hi == 0 then return format('%x', lo) end
  return format('%x%08x', hi, lo)
end

-- float64(int64): one IEEE rounding of hi*2^32 + lo, as Go rounds the conversion
local function i2d(h)
  if #h <= 13 then return tonumber(h, 16) end
  local hi, lo = split(h)
  if hi == nil or lo == nil then bad('bad integer ' .. h) end
  if hi >= 2147483648 then hi = hi - TWO32 end
  return hi * TWO32 + lo
end

-- a < b as signed int64 (canonical hex)
local function lt64(a, b)
  if a == b then return false end
  local na = #a == 16 and byte(a, 1) >= 56
  local nb = #b == 16 and byte(b, 1) >= 56
  if na ~= nb then return na end
  if #a ~= #b then return #a < #b end
  if #a <= 13 then return tonumber(a, 16) < tonumber(b, 16) end
  local ah, al = split(a)
  local bh, bl = split(b)
  if ah ~= bh then return ah < bh end
  return al < bl
end

local SPECIAL = { nan = 0 / 0, NaN = 0 / 0, inf = 1 / 0, ['+inf'] = 1 / 0, ['+Inf'] = 1 / 0, ['-inf'] = -1 / 0, ['-Inf'] = -1 / 0 }
local function pf(s)
  local v = tonumber(s)
  if v == nil then
    v = SPECIAL[s]
    if v == nil then bad('bad double ' .. s) end
  end
  return v
end
local function ff(x)
  if x ~= x then return 'nan' end
  if x == 1 / 0 then return '+inf' end -- not 'inf': an 'i' starts an integer
  if x == -1 / 0 then return '-inf' end
  return format('%.17g', x)
end

-- min/max token: the value, or "~value" when HasMin/HasMax is false
local function pmm(tok)
  if byte(tok, 1) == 126 then return false, pf(sub(tok, 2)) end
  return true, pf(tok)
end
local function fmm(has, v)
  if has then return ff(v) end
  return '~' .. ff(v)
end

-- bucket counts: comma-separated hex, "-" when empty
local function plist(tok)
  local out, n = {}, 0
  if tok == '-' then return out end
  for h in gmatch(tok, '[^,]+') do n = n + 1; out[n] = h end
  return out
end
local function flist(l)
  if #l == 0 then return '-' end
  return concat(l, ',')
end

local function pint(tok)
  local v = tonumber(tok)
  if v == nil or v ~= floor(v) then bad('bad integer ' .. tok) end
  return v
end

-- Points by kind class: S = sums and gauges (kinds 1-3, merged on their tokens in
-- apply.lua), H = explicit histograms (4, 5), E = exponential histograms (6, 7).
local CLASS = { 'S', 'S', 'S', 'H', 'H', 'E', 'E' }

-- the S tokens of "<st> <t> <v>" from s[i..j] (plain finds: cheaper than a pattern)
local function split3(s, i, j)
  local p1 = find(s, ' ', i, true)
  if p1 == nil or p1 > j then return nil end
  local p2 = find(s, ' ', p1 + 1, true)
  if p2 == nil or p2 > j then return nil end
  return sub(s, i, p1 - 1), sub(s, p1 + 1, p2 - 1), sub(s, p2 + 1, j)
end

-- an S value token: "i<hex>" is an int64, anything else a double
local function isint(v) return byte(v, 1) == 105 and v ~= 'inf' end

-- series.isZero of an S point
local function iszeros(st, t, v)
  return st == '0' and t == '0' and not isint(v) and pf(v) == 0
end

-- series.Merge of a delta sum (kind 1) on its tokens: the stored point st t v merged
-- with sst stt sv; returns the new tokens
local function mergesum(id, st, t, v, sst, stt, sv)
  if st == '0' and t == '0' and iszeros(st, t, v) then return sst, stt, sv end
  local c
  local vi, svi = byte(v, 1) == 105 and v ~= 'inf', byte(sv, 1) == 105 and sv ~= 'inf'
  if vi and svi then
    local x, y = sub(v, 2), sub(sv, 2)
    if #x <= 12 and #y <= 12 then -- add64's fast path, inlined
      x, y = tonumber(x, 16), tonumber(y, 16)
      if x == nil or y == nil then bad('bad integer in series ' .. id) end
      c = format('i%x', x + y)
    else
      c = 'i' .. add64(x, y)
    end
  else
    local x, y
    if vi then x = i2d(sub(v, 2)) else x = pf(v) end
    if svi then y = i2d(sub(sv, 2)) else y = pf(sv) end
    c = ff(x + y)
  end
  if st == '0' or (sst ~= '0' and sst ~= st and lt64(sst, st)) then st = sst end
  if stt ~= t and lt64(t, stt) then t = stt end
  return st, t, c
end

-- series.Merge of a cumulative sum or gauge (kinds 2, 3): does the point with time stt
-- replace the stored st t v? The newest wins; a zero point is replaced whatever the time.
local function newer(st, t, v, stt)
  return t == stt or not lt64(stt, t) or (t == '0' and iszeros(st, t, v))
end

-- H and E points parse to tables; the tokens of doubles are kept (stok, mntok, mxtok)
-- and written back unchanged unless the value changed, saving a "%.17g" each.
local function parse(kind, p)
  local c = CLASS[kind]
  if c == 'H' then
    local st, t, cnt, s, mn, mx, b = match(p, '^(%x+) (%x+) (%x+) (%S+) (%S+) (%S+) (%S+)$')
    if st == nil then return nil end
    local o = { st = st, t = t, c = cnt, s = pf(s), stok = s, b = plist(b), mntok = mn, mxtok = mx }
    o.hmn, o.mn = pmm(mn)
    o.hmx, o.mx = pmm(mx)
    return o
  elseif c == 'E' then
    local st, t, cnt, s, mn, mx, sc, z, po, pos, no, neg =
      match(p, '^(%x+) (%x+) (%x+) (%S+) (%S+) (%S+) (%S+) (%x+) (%S+) (%S+) (%S+) (%S+)$')
    if st == nil then return nil end
    local o = { st = st, t = t, c = cnt, s = pf(s), sc = pint(sc), z = z, po = pint(po), p = plist(pos), no = pint(no), n = plist(neg) }
    o.hmn, o.mn = pmm(mn)
    o.hmx, o.mx = pmm(mx)
    return o
  end
  return nil
end

local function ser(kind, o)
  local s, mn, mx = o.stok or ff(o.s), o.mntok or fmm(o.hmn, o.mn), o.mxtok or fmm(o.hmx, o.mx)
  if CLASS[kind] == 'H' then
    return concat({ o.st, o.t, o.c, s, mn, mx, flist(o.b) }, ' ')
  end
  return concat({ o.st, o.t, o.c, s, mn, mx, format('%d', o.sc), o.z,
    format('%d', o.po), flist(o.p), format('%d', o.no), flist(o.n) }, ' ')
end

-- series.isZero of an H or E point
local function iszero(kind, o)
  if o.st ~= '0' or o.t ~= '0' or o.c ~= '0' or o.s ~= 0 or o.hmn or o.hmx then return false end
  if CLASS[kind] == 'H' then return #o.b == 0 end
  return o.sc == 0 and o.z == '0' and #o.p == 0 and #o.n == 0
end

-- series.mergeTimes on tokens: returns the new start and time
local function mergetimes(dst, dt, sst, st)
  if dst == '0' or (sst ~= '0' and sst ~= dst and lt64(sst, dst)) then dst = sst end
  if st ~= dt and lt64(dt, st) then dt = st end
  return dst, dt
end

local function mergeminmax(d, s)
  if s.hmn and ((not d.hmn) or s.mn < d.mn) then d.mn, d.hmn, d.mntok = s.mn, true, s.mntok end
  if s.hmx and ((not d.hmx) or s.mx > d.mx) then d.mx, d.hmx, d.mxtok = s.mx, true, s.mxtok end
end

local function addsum(d, s)
  local v = d.s + s.s
  if v ~= d.s or v == 0 then d.s, d.stok = v, nil end -- (v == 0: -0 + 0 is 0)
end

-- series.addBuckets; 0 + c is c, and zero counts (most of a delta point's) are skipped
local function addbuckets(d, s)
  local nd = #d
  for i = 1, #s do
    local c = s[i]
    if i > nd then
      d[i] = c
    elseif c ~= '0' then
      d[i] = add64(d[i], c)
    end
  end
  return d
end

-- series.foldBuckets: x >> by on int32 is floor(x / 2^by)
local function fold(off, counts, by)
  local p2 = 2 ^ by
  local newoff = floor(off / p2)
  local n = #counts
  if n == 0 then return newoff, counts end
  local last = floor((off + n - 1) / p2)
  local out = {}
  for j = 1, last - newoff + 1 do out[j] = '0' end
  for i = 1, n do
    local j = floor((off + i - 1) / p2) - newoff + 1
    out[j] = add64(out[j], counts[i])
  end
  return newoff, out
end

local function downscale(o, by)
  if by <= 0 then return end
  o.sc = o.sc - by
  o.po, o.p = fold(o.po, o.p, by)
  o.no, o.n = fold(o.no, o.n, by)
end

-- series.addOffsetBuckets
local function addoff(aoff, a, boff, b)
  local na, nb = #a, #b
  if nb == 0 then return aoff, a end
  if na == 0 then
    local c = {}
    for i = 1, nb do c[i] = b[i] end
    return boff, c
  end
  local lo = aoff
  if boff < lo then lo = boff end
  local hi = aoff + na
  if boff + nb > hi then hi = boff + nb end
  local out = {}
  for j = 1, hi - lo do out[j] = '0' end
  for i = 1, na do out[aoff - lo + i] = a[i] end
  for i = 1, nb do
    local j = boff - lo + i
    if b[i] ~= '0' then out[j] = add64(out[j], b[i]) end
  end
  return lo, out
end

-- series.Merge for delta histograms (4) and delta exponential histograms (6); d is
-- not zero
local function mergehist(kind, d, s)
  d.c = add64(d.c, s.c)
  addsum(d, s)
  if kind == 4 then
    mergeminmax(d, s)
    d.b = addbuckets(d.b, s.b)
  else -- series.mergeExp
    local scale = d.sc
    if s.sc < scale then scale = s.sc end
    downscale(d, d.sc - scale)
    downscale(s, s.sc - scale)
    d.z = add64(d.z, s.z)
    mergeminmax(d, s)
    d.po, d.p = addoff(d.po, d.p, s.po, s.p)
    d.no, d.n = addoff(d.no, d.n, s.no, s.n)
  end
  d.st, d.t = mergetimes(d.st, d.t, s.st, s.t)
end

-- the native-TTL safety net: the first n KEYS live at least ms more (never shortened)
local function keepalive(n, ms)
  local want = tonumber(ms)
  for i = 1, n do
    local t = redis.call('PTTL', KEYS[i])
    if t == -1 or (t >= 0 and t < want) then redis.call('PEXPIRE', KEYS[i], ms) end
  end
end

-- the shard's version (KEYS ver): every script that changes :v or the series of a shard
-- moves it, so a client that merged on its cached values (applycas.lua) knows whether
-- they are still current. The new version is the server's clock in µs, or the old one
-- plus 1 if that is not smaller: versions only grow, and a shard that lost its last
-- writes in a failover (or its counter) does not come back to a version a client
-- remembers with other contents, as long as the masters' clocks agree to within the
-- failover's duration. Returns {new, old} as decimal strings (old "0": none).
local function bumpver(k)
  local old = tonumber(redis.call('GET', k) or '0') or 0
  local t = redis.call('TIME')
  local new = tonumber(t[1]) * 1000000 + tonumber(t[2])
  if old >= new then new = old + 1 end
  local v = format('%.0f', new)
  redis.call('SET', k, v, 'KEEPTTL') -- expire.lua sets no TTL after: keep the one there is
  return { v, format('%.0f', old) }
end

-- redis.call(cmd, key, [opt,] t[i0..i1]) in chunks of CHUNK elements (i1 - i0 + 1 even)
local function chunked(cmd, key, opt, t, i0, i1)
  for i = i0, i1, CHUNK do
    local j = i + CHUNK - 1
    if j > i1 then j = i1 end
    if opt then redis.call(cmd, key, opt, unpack(t, i, j)) else redis.call(cmd, key, unpack(t, i, j)) end
  end
end
