// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package redisbackend

import (
	_ "embed" // the Lua scripts

	"github.com/redis/go-redis/v9"
)

var (
	//go:embed lib.lua
	luaLib string
	//go:embed apply.lua
	luaApply string
	//go:embed applysums.lua
	luaApplySums string
	//go:embed applycas.lua
	luaApplyCAS string
	//go:embed snapshot.lua
	luaSnapshot string
	//go:embed expire.lua
	luaExpire string
	//go:embed extend.lua
	luaExtend string
	//go:embed markshard.lua
	luaMarkShard string
)

// The export lock's scripts. Their KEYS share the hash tag {<prefix>}: one Cluster slot.
const (
	// KEYS: 1 lock, 2 token counter. ARGV: 1 owner, 2 ttl (ms). Returns the fencing token,
	// or nil when the lock is held. The token is only taken when the lock is.
	luaAcquire = `if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local tok = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. tok, 'PX', ARGV[2])
return tok`
	// KEYS: 1 lock. ARGV: 1 <owner>:<token>, 2 ttl (ms). 1 when renewed, 0 when lost.
	luaRenew = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`
	// KEYS: 1 lock. ARGV: 1 <owner>:<token>. 1 when deleted, 0 when not ours.
	luaRelease = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`
	// KEYS: 1 lock, 2 last export. ARGV: 1 <owner>:<token>, 2 interval (decimal Unix ns).
	// 0 when the lock is not ours; else last export = max(last export, interval), 1.
	luaMarkGlobal = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local function maglt(a, b)
  if #a ~= #b then return #a < #b end
  for i = 1, #a do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return false
end
local function lt(a, b)
  local na, nb = string.byte(a, 1) == 45, string.byte(b, 1) == 45
  if na ~= nb then return na end
  if na then return maglt(string.sub(b, 2), string.sub(a, 2)) end
  return maglt(a, b)
end
local cur = redis.call('GET', KEYS[2])
if (not cur) or lt(cur, ARGV[2]) then redis.call('SET', KEYS[2], ARGV[2]) end
return 1`
	luaProbe = `return ARGV[1]`
	// KEYS: 1 readiness markers (every replica's), 2 client-merge markers (the replicas
	// that version their writes). 1 when every replica is in both, else 0 (see
	// mergeguard.go).
	luaMergeOK = `for _, owner in ipairs(redis.call('HKEYS', KEYS[1])) do
  if redis.call('HEXISTS', KEYS[2], owner) == 0 then return 0 end
end
return 1`
)

var (
	scriptApply     = redis.NewScript(luaLib + "\n" + luaApply)
	scriptApplySums = redis.NewScript(luaLib + "\n" + luaApplySums)
	scriptApplyCAS  = redis.NewScript(luaLib + "\n" + luaApplyCAS)
	scriptSnapshot  = redis.NewScript(luaSnapshot)
	scriptExpire    = redis.NewScript(luaLib + "\n" + luaExpire)
	scriptExtend    = redis.NewScript(luaLib + "\n" + luaExtend)
	scriptMarkShard = redis.NewScript(luaLib + "\n" + luaMarkShard)
	scriptAcquire   = redis.NewScript(luaAcquire)
	scriptRenew     = redis.NewScript(luaRenew)
	scriptRelease   = redis.NewScript(luaRelease)
	scriptMarkGlob  = redis.NewScript(luaMarkGlobal)
	scriptProbe     = redis.NewScript(luaProbe)
	scriptMergeOK   = redis.NewScript(luaMergeOK)

	allScripts = []*redis.Script{scriptApply, scriptApplySums, scriptApplyCAS, scriptSnapshot, scriptExpire, scriptExtend, scriptMarkShard,
		scriptAcquire, scriptRenew, scriptRelease, scriptMarkGlob, scriptProbe, scriptAdmit, scriptTouch, scriptMergeOK}
)
