// See scripts.h. The member_removed envelope the heartbeat script builds follows
// cluster/envelope.h field for field (kind publish, no exclude, audience or user id).
#include "cluster/scripts.h"

namespace ringcast::cluster {

const char* const kPresenceJoinScript = R"lua(
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

const char* const kPresenceLeaveScript = R"lua(
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

const char* const kHeartbeatScript = R"lua(
local function field(s) return struct.pack('<I2', #s) .. s end
local function field4(s) return struct.pack('<I4', #s) .. s end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]), 'LIMIT', 0, 8)
local removed = {}
for _, dk in ipairs(dead) do
  local idx = ARGV[3] .. 'node:' .. dk .. ':p'
  local all = redis.call('HGETALL', idx)
  for i = 1, #all, 2 do
    local f, cnt = all[i], tonumber(all[i + 1])
    local al, p = struct.unpack('<I2', f, 1)
    local app = string.sub(f, p, p + al - 1)
    local cl
    cl, p = struct.unpack('<I2', f, p + al)
    local ch = string.sub(f, p, p + cl - 1)
    local user = string.sub(f, p + cl)
    local base = ARGV[3] .. app .. ':'
    if redis.call('HINCRBY', base .. 'pc:' .. ch, user, -cnt) <= 0 then
      redis.call('HDEL', base .. 'pc:' .. ch, user)
      if redis.call('HDEL', base .. 'pm:' .. ch, user) == 1 then
        local data = cjson.encode({user_id = user})
        local env = 'RC' .. string.char(1, 1) .. field(ARGV[1]) .. field(app) .. field(ch) ..
            field4('pusher_internal:member_removed') .. field4(data) .. field('') .. field4('') ..
            field('')
        redis.call(ARGV[4], base .. 'c:' .. ch, env)
        removed[#removed + 1] = app
        removed[#removed + 1] = ch
        removed[#removed + 1] = user
      end
    end
  end
  redis.call('DEL', idx)
  redis.call('ZREM', KEYS[1], dk)
end
return removed
)lua";

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
