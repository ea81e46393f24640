// See scripts.h. The envelopes the heartbeat and resync scripts build (kLuaEnvelope) follow
// cluster/envelope.h field for field (kind publish, no exclude, audience, user id or meta).
#include "cluster/scripts.h"

#include <string>

namespace ringcast::cluster {
namespace {

// Lua shared by several scripts, prepended to them (one chunk each).
constexpr char kLuaNow[] = R"lua(
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
)lua";

// ChannelField and PresenceField, split.
constexpr char kLuaFields[] = R"lua(
local function split_channel(f)
  local al, p = struct.unpack('<I2', f, 1)
  return string.sub(f, p, p + al - 1), string.sub(f, p + al)
end
local function split_member(f)
  local al, p = struct.unpack('<I2', f, 1)
  local app = string.sub(f, p, p + al - 1)
  local cl
  cl, p = struct.unpack('<I2', f, p + al)
  return app, string.sub(f, p, p + cl - 1), string.sub(f, p + cl)
end
)lua";

// A publish envelope as cluster/envelope.h encodes it (no exclude, audience, user id or meta;
// epoch and seq 0).
constexpr char kLuaEnvelope[] = R"lua(
local function envelope(origin, app, ch, event, data)
  local function f2(s) return struct.pack('<I2', #s) .. s end
  local function f4(s) return struct.pack('<I4', #s) .. s end
  return 'RC' .. string.char(2, 1) .. f2(origin) .. f2(app) .. f2(ch) .. f4(event) ..
      f4(data) .. f2('') .. f4('') .. f2('') .. f4('') .. string.rep('\0', 16)
end
)lua";

// Watchlists: a node's user came online here (delta 1) or went offline here (-1). A on counts
// the nodes the user is signed in on; its first and its last are flips: P wv numbers them, and
// each goes to every node on P rpc as a watch-flip envelope (cluster/envelope.h kind 5: channel
// the user id, data "1"/"0", seq the version). P wv starts at Redis TIME in microseconds, so
// that the versions of a Redis that lost its data are still newer than those nodes applied.
constexpr char kLuaWatch[] = R"lua(
local function watch_version(prefix, bump)
  local key = prefix .. 'wv'
  if redis.call('EXISTS', key) == 0 then
    local t = redis.call('TIME')
    redis.call('SET', key, t[1] .. string.format('%06d', tonumber(t[2])))
  end
  if bump then return redis.call('INCR', key) end
  return tonumber(redis.call('GET', key))
end
local function watch_change(prefix, pub, nk, app, user, delta)
  local key = prefix .. app .. ':on'
  local n = redis.call('HINCRBY', key, user, delta)
  if n <= 0 then redis.call('HDEL', key, user) end
  if (delta > 0 and n == delta) or (delta < 0 and n <= 0) then
    local v = watch_version(prefix, true)
    local function f2(s) return struct.pack('<I2', #s) .. s end
    local function f4(s) return struct.pack('<I4', #s) .. s end
    redis.call(pub, prefix .. 'rpc', 'RC' .. string.char(2, 5) .. f2(nk) .. f2(app) .. f2(user) ..
        f4('') .. f4(delta > 0 and '1' or '0') .. f2('') .. f4('') .. f2('') .. f4('') ..
        struct.pack('<I8', 0) .. struct.pack('<I8', v))
  end
end
)lua";

// The Datonow store's sync (scripts.h, kStoreSyncScript), shared with the commit script, which
// answers a conflict with it. KEYS: dn, dn:v, dn:e, dn:log.
constexpr char kLuaStoreSync[] = R"lua(
local function store_sync(epoch, mine, budget)
  local e = redis.call('GET', KEYS[3])
  local size = redis.call('HLEN', KEYS[1])
  if not e then return {0, '', 'empty', size} end
  local v = tonumber(redis.call('GET', KEYS[2]) or '0')
  local n = redis.call('LLEN', KEYS[4])
  if e ~= epoch or mine > v or v - mine > n then return {v, e, 'reload', size} end
  local out = {mine, e, 'ok', size}
  if v == mine then return out end
  local entries = redis.call('LRANGE', KEYS[4], n - (v - mine), -1)
  local used = 0
  for j = 1, #entries do
    if j > 1 and used + #entries[j] > budget then break end
    used = used + #entries[j]
    out[#out + 1] = entries[j]
    out[1] = out[1] + 1
  end
  if out[1] < v then out[3] = 'more' end
  return out
end
)lua";

// KEYS[1] a history log (h:C), KEYS[2] its stream: the log's epoch, and whether the log was
// just made (a new epoch: Redis TIME in microseconds, the stream emptied).
constexpr char kLuaLogEpoch[] = R"lua(
local function log_epoch()
  local e = redis.call('HGET', KEYS[1], 'e')
  if e then return e, false end
  local t = redis.call('TIME')
  e = t[1] .. string.format('%06d', tonumber(t[2]))
  redis.call('HSET', KEYS[1], 'e', e, 's', 0)
  redis.call('DEL', KEYS[2])
  return e, true
end
)lua";

}  // namespace

const std::string kPresenceJoinScript = R"lua(
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
if n == 1 then
  local max = tonumber(ARGV[6])
  if max > 0 and redis.call('HLEN', KEYS[2]) >= max then
    redis.call('HDEL', KEYS[1], ARGV[1])
    return {-1, {}}
  end
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
  redis.call(ARGV[7], ARGV[4], ARGV[5])
end
redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
return {n, redis.call('HGETALL', KEYS[2])}
)lua";

const std::string kPresenceLeaveScript = R"lua(
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if redis.call('HINCRBY', KEYS[3], ARGV[2], -1) <= 0 then redis.call('HDEL', KEYS[3], ARGV[2]) end
if n <= 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
  if redis.call('HDEL', KEYS[2], ARGV[1]) == 1 then
    redis.call(ARGV[5], ARGV[3], ARGV[4])
    return 1
  end
end
return 0
)lua";

const std::string kOccupyScript = R"lua(
redis.call('SADD', KEYS[3], ARGV[3])
if redis.call('HSET', KEYS[1], ARGV[1], 1) == 1 and redis.call('HLEN', KEYS[1]) == 1 then
  redis.call('ZADD', KEYS[2], 0, ARGV[2])
  if redis.call('ZREM', KEYS[4], ARGV[3]) == 1 then return 0 end
  if ARGV[4] == '1' then return 1 end
end
return 0
)lua";

const std::string kVacateScript = std::string(kLuaNow) + R"lua(
redis.call('SREM', KEYS[3], ARGV[3])
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 and redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[2], ARGV[2])
  if ARGV[4] == '1' then redis.call('ZADD', KEYS[4], now_ms() + tonumber(ARGV[5]), ARGV[3]) end
end
return 0
)lua";

const std::string kHeartbeatScript =
    std::string(kLuaNow) + kLuaFields + kLuaEnvelope + kLuaWatch + R"lua(
local now = now_ms()
redis.call('ZADD', KEYS[1], now, ARGV[1])
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]), 'LIMIT', 0, 8)
local removed = {}
for _, dk in ipairs(dead) do
  local oidx = ARGV[3] .. 'node:' .. dk .. ':o'
  for _, f in ipairs(redis.call('SMEMBERS', oidx)) do
    local app, ch = split_channel(f)
    local base = ARGV[3] .. app .. ':'
    if redis.call('HDEL', base .. 'n:' .. ch, dk) == 1 and
        redis.call('HLEN', base .. 'n:' .. ch) == 0 then
      redis.call('ZREM', base .. 'chans', ch)
      redis.call('ZADD', KEYS[2], now + tonumber(ARGV[5]), f)
    end
  end
  redis.call('DEL', oidx)
  local idx = ARGV[3] .. 'node:' .. dk .. ':p'
  local all = redis.call('HGETALL', idx)
  for i = 1, #all, 2 do
    local f, cnt = all[i], tonumber(all[i + 1])
    local app, ch, user = split_member(f)
    local base = ARGV[3] .. app .. ':'
    if redis.call('HINCRBY', base .. 'pc:' .. ch, user, -cnt) <= 0 then
      redis.call('HDEL', base .. 'pc:' .. ch, user)
      if redis.call('HDEL', base .. 'pm:' .. ch, user) == 1 then
        redis.call(ARGV[4], base .. 'c:' .. ch, envelope(ARGV[1], app, ch,
            'pusher_internal:member_removed', cjson.encode({user_id = user})))
        removed[#removed + 1] = app
        removed[#removed + 1] = ch
        removed[#removed + 1] = user
      end
    end
  end
  redis.call('DEL', idx)
  local widx = ARGV[3] .. 'node:' .. dk .. ':w'
  for _, f in ipairs(redis.call('SMEMBERS', widx)) do
    local app, user = split_channel(f)
    watch_change(ARGV[3], ARGV[4], dk, app, user, -1)
  end
  redis.call('DEL', widx)
  redis.call('ZREM', KEYS[1], dk)
end
local vacated = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 256)
for _, f in ipairs(vacated) do redis.call('ZREM', KEYS[2], f) end
return {removed, vacated}
)lua";

const std::string kResyncScript =
    std::string(kLuaNow) + kLuaFields + kLuaEnvelope + kLuaWatch + R"lua(
local nk, prefix, pub = ARGV[1], ARGV[2], ARGV[3]
local now = now_ms()
redis.call('ZADD', KEYS[1], now, nk)
local function publish(app, ch, event, data)
  redis.call(pub, prefix .. app .. ':c:' .. ch, envelope(nk, app, ch, event, data))
end
-- Channels.
local oidx = prefix .. 'node:' .. nk .. ':o'
local stale = {}
for _, f in ipairs(redis.call('SMEMBERS', oidx)) do stale[f] = true end
local members = {}
local online = {}
local i = 5
while i <= #ARGV do
  if ARGV[i] == 'w' then
    online[ARGV[i + 1]] = true
    i = i + 2
  elseif ARGV[i] == 'c' then
    local f = ARGV[i + 1]
    stale[f] = nil
    local app, ch = split_channel(f)
    local base = prefix .. app .. ':'
    redis.call('SADD', oidx, f)
    if redis.call('HSET', base .. 'n:' .. ch, nk, 1) == 1 then
      redis.call('ZADD', base .. 'chans', 0, ch)
      redis.call('ZREM', KEYS[2], f)
    end
    i = i + 2
  else
    members[ARGV[i + 1]] = {tonumber(ARGV[i + 2]), ARGV[i + 3]}
    i = i + 4
  end
end
for f in pairs(stale) do
  local app, ch = split_channel(f)
  local base = prefix .. app .. ':'
  redis.call('SREM', oidx, f)
  if redis.call('HDEL', base .. 'n:' .. ch, nk) == 1 and redis.call('HLEN', base .. 'n:' .. ch) == 0 then
    redis.call('ZREM', base .. 'chans', ch)
    redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), f)
  end
end
-- Presence.
local pidx = prefix .. 'node:' .. nk .. ':p'
local old = {}
local flat = redis.call('HGETALL', pidx)
for j = 1, #flat, 2 do old[flat[j]] = tonumber(flat[j + 1]) end
local added, removed = {}, {}
local function apply(f, delta, info)
  if delta == 0 then return end
  local app, ch, user = split_member(f)
  local base = prefix .. app .. ':'
  local n = redis.call('HINCRBY', base .. 'pc:' .. ch, user, delta)
  if n > 0 and n - delta <= 0 then
    redis.call('HSET', base .. 'pm:' .. ch, user, info)
    local json = '{"user_id":' .. cjson.encode(user) .. ',"user_info":' ..
        (info ~= '' and info or 'null') .. '}'
    publish(app, ch, 'pusher_internal:member_added', json)
    added[#added + 1] = app; added[#added + 1] = ch; added[#added + 1] = user
  elseif n <= 0 then
    redis.call('HDEL', base .. 'pc:' .. ch, user)
    if redis.call('HDEL', base .. 'pm:' .. ch, user) == 1 then
      publish(app, ch, 'pusher_internal:member_removed', cjson.encode({user_id = user}))
      removed[#removed + 1] = app; removed[#removed + 1] = ch; removed[#removed + 1] = user
    end
  end
end
for f, m in pairs(members) do
  apply(f, m[1] - (old[f] or 0), m[2])
  old[f] = nil
end
for f, c in pairs(old) do apply(f, -c, '') end
redis.call('DEL', pidx)
for f, m in pairs(members) do redis.call('HSET', pidx, f, m[1]) end
-- Watchlists: the users signed in here.
local widx = prefix .. 'node:' .. nk .. ':w'
for _, f in ipairs(redis.call('SMEMBERS', widx)) do
  if online[f] then
    online[f] = nil
  else
    redis.call('SREM', widx, f)
    local app, user = split_channel(f)
    watch_change(prefix, pub, nk, app, user, -1)
  end
end
for f in pairs(online) do
  redis.call('SADD', widx, f)
  local app, user = split_channel(f)
  watch_change(prefix, pub, nk, app, user, 1)
end
return {added, removed}
)lua";

const std::string kWatchScript = std::string(kLuaWatch) + R"lua(
local prefix, pub, nk, field, app, user = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local idx = prefix .. 'node:' .. nk .. ':w'
if ARGV[7] == '1' then
  if redis.call('SADD', idx, field) == 1 then watch_change(prefix, pub, nk, app, user, 1) end
elseif redis.call('SREM', idx, field) == 1 then
  watch_change(prefix, pub, nk, app, user, -1)
end
return 0
)lua";

const std::string kWatchQueryScript = std::string(kLuaWatch) + R"lua(
local v = watch_version(ARGV[1], false)
local out = {}
if #ARGV > 2 then
  local counts = redis.call('HMGET', ARGV[1] .. ARGV[2] .. ':on', unpack(ARGV, 3))
  for i = 1, #ARGV - 2 do
    local c = counts[i]
    out[i] = (c and tonumber(c) > 0) and 1 or 0
  end
end
return {v, out}
)lua";

const std::string kQueryScript = R"lua(
local mode, base, name = ARGV[1], ARGV[2], ARGV[3]
if mode == 'users' then return redis.call('HKEYS', base .. 'pm:' .. name) end
if mode == 'one' then
  return {redis.call('EXISTS', base .. 'n:' .. name), redis.call('HLEN', base .. 'pm:' .. name)}
end
local names
if name == '' then
  names = redis.call('ZRANGE', base .. 'chans', 0, -1)
else
  names = redis.call('ZRANGEBYLEX', base .. 'chans', '[' .. name, '[' .. name .. '\255')
end
local out = {}
for _, c in ipairs(names) do
  out[#out + 1] = c
  if string.sub(c, 1, 9) == 'presence-' then
    out[#out + 1] = redis.call('HLEN', base .. 'pm:' .. c)
  else
    out[#out + 1] = 0
  end
end
return out
)lua";

const std::string kPublishNumberedScript = std::string(kLuaLogEpoch) + R"lua(
local e = log_epoch()
local s = redis.call('HINCRBY', KEYS[1], 's', 1)
local env = ARGV[3]
env = string.sub(env, 1, #env - 16) .. struct.pack('<I8', tonumber(e)) .. struct.pack('<I8', s)
redis.call('XADD', KEYS[2], 'MAXLEN', tonumber(ARGV[4]), s .. '-0', 'e', env)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call(ARGV[1], ARGV[2], env)
return s
)lua";

const std::string kHistoryScript = std::string(kLuaLogEpoch) + R"lua(
local e, made = log_epoch()
if made then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
local head = tonumber(redis.call('HGET', KEYS[1], 's'))
if ARGV[1] ~= '1' then return {e, head, 0, {}} end
local gap = 0
local from = 1
if ARGV[2] == e and tonumber(ARGV[3]) <= head then
  from = tonumber(ARGV[3]) + 1
else
  gap = 1
end
local entries = redis.call('XRANGE', KEYS[2], from .. '-0', '+')
local oldest = head + 1
if #entries > 0 then oldest = tonumber(string.match(entries[1][1], '^(%d+)')) end
if from < oldest then gap = 1 end
local out = {}
for i, entry in ipairs(entries) do out[i] = entry[2][2] end
return {e, head, gap, out}
)lua";

const std::string kCacheStoreScript = R"lua(
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[2])
return 1
)lua";

const std::string kCacheGetScript = R"lua(
local v = redis.call('GET', KEYS[1])
if v then return {1, v} end
if ARGV[2] == '1' and redis.call('SET', KEYS[2], 1, 'NX', 'PX', ARGV[1]) then return {0, 1} end
return {0, 0}
)lua";

const std::string kStoreSyncScript = std::string(kLuaStoreSync) + R"lua(
return store_sync(ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]))
)lua";

const std::string kStoreCommitScript = std::string(kLuaStoreSync) + R"lua(
local e = redis.call('GET', KEYS[3])
local v = tonumber(redis.call('GET', KEYS[2]) or '0')
local turn = KEYS[4] .. ':t'
local holder = redis.call('GET', turn)
if e ~= ARGV[1] or v ~= tonumber(ARGV[2]) or (holder and holder ~= ARGV[7]) then
  if tonumber(ARGV[9]) >= 3 then redis.call('SET', turn, ARGV[7], 'NX', 'PX', 500) end
  return {0, store_sync(ARGV[1], tonumber(ARGV[2]), 8388608)}
end
if holder then redis.call('DEL', turn) end
local ops_end = 10 + 3 * tonumber(ARGV[8])
for i = 10, ops_end - 1, 3 do
  if ARGV[i] == 'p' then
    redis.call('HSET', KEYS[1], ARGV[i + 1], ARGV[i + 2])
  else
    redis.call('HDEL', KEYS[1], ARGV[i + 1])
  end
end
local n = redis.call('RPUSH', KEYS[4], ARGV[3])
local bytes = redis.call('INCRBY', KEYS[4] .. ':b', #ARGV[3])
local cap = tonumber(ARGV[4])
while n > 1 and (n > cap or bytes > 33554432) do
  bytes = redis.call('INCRBY', KEYS[4] .. ':b', -#redis.call('LPOP', KEYS[4]))
  n = n - 1
end
v = redis.call('INCR', KEYS[2])
local function f2(s) return struct.pack('<I2', #s) .. s end
local function f4(s) return struct.pack('<I4', #s) .. s end
redis.call(ARGV[5], ARGV[6], 'RC' .. string.char(2, 6) .. f2(ARGV[7]) .. f2('') .. f2('') ..
    f4('') .. f4('') .. f2('') .. f4('') .. f2('') .. f4('') .. struct.pack('<I8', 0) ..
    struct.pack('<I8', v))
for i = ops_end, #ARGV, 2 do redis.call(ARGV[5], ARGV[i], ARGV[i + 1]) end
return {1, v}
)lua";

const std::string kStoreScanScript = R"lua(
local r = redis.call('HSCAN', KEYS[1], ARGV[1], 'COUNT', ARGV[2])
return {tonumber(redis.call('GET', KEYS[2]) or '0'), redis.call('GET', KEYS[3]) or '', r[1], r[2]}
)lua";

const std::string kStoreSeedScript = R"lua(
if redis.call('HLEN', KEYS[1]) > 0 then return {0} end
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('SET', KEYS[3], ARGV[1])
redis.call('DEL', KEYS[4], KEYS[4] .. ':b')
return {1, redis.call('INCR', KEYS[2]), ARGV[1]}
)lua";

std::string ChannelField(std::string_view app, std::string_view channel) {
  std::string f;
  f.reserve(2 + app.size() + channel.size());
  f.push_back(static_cast<char>(app.size() & 0xff));
  f.push_back(static_cast<char>((app.size() >> 8) & 0xff));
  f.append(app);
  f.append(channel);
  return f;
}

bool SplitChannelField(std::string_view field, std::string_view* app, std::string_view* channel) {
  if (field.size() < 2) return false;
  const size_t n = static_cast<uint8_t>(field[0]) | (size_t{static_cast<uint8_t>(field[1])} << 8);
  if (field.size() - 2 < n) return false;
  *app = field.substr(2, n);
  *channel = field.substr(2 + n);
  return true;
}

std::string PresenceField(std::string_view app, std::string_view channel, std::string_view user) {
  std::string f;
  f.reserve(4 + app.size() + channel.size() + user.size());
  for (std::string_view part : {app, channel}) {
    f.push_back(static_cast<char>(part.size() & 0xff));
    f.push_back(static_cast<char>((part.size() >> 8) & 0xff));
    f.append(part);
  }
  f.append(user);
  return f;
}

}  // namespace ringcast::cluster
