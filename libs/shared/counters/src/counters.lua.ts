/**
 * Lua scripts of the Redis counters. Each touches exactly one key, so it runs on one Redis Cluster
 * node; callers put `{consumerId}` in their keys so every counter of a consumer shares a slot and a
 * later multi-key script (quota + rate in one round trip) stays cluster-safe.
 *
 * The expiry is set with PEXPIREAT only while the key has none (PTTL = -1): a new key takes the
 * caller's expiry (e.g. the end of the billing period) and later calls never extend it.
 */

/** KEYS[1] counter; ARGV amount, limit, expiresAtMs. Returns {applied (0|1), value}. */
export const incrementWithinScript = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local amount = tonumber(ARGV[1])
if current + amount > tonumber(ARGV[2]) then
  return {0, current}
end
local value = redis.call('INCRBY', KEYS[1], amount)
if redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIREAT', KEYS[1], ARGV[3])
end
return {1, value}
`;

/** KEYS[1] counter; ARGV amount, expiresAtMs. Returns the value after the add. */
export const incrementScript = `
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIREAT', KEYS[1], ARGV[2])
end
return value
`;

/**
 * KEYS[1] quota counter, KEYS[2] rate TAT, KEYS[3] concurrency lease set (all with the same
 * `{consumerId}` tag); ARGV cost, limit, expiresAtMs, intervalUs (0: no rate), burst, leaseId,
 * concurrency limit (0: none), leaseMs. Mirrors gcraStep() and the memory adapter: concurrency is
 * checked first, then the rate, then the quota; only when all pass are all updated. Leases are a
 * sorted set scored by expiry (Redis TIME), and expired ones are dropped before counting. Returns
 * {admitted, refusedBy (0 none, 1 rate, 2 quota, 3 concurrency), quotaUsed, retryAfterUs, remaining, resetUs}.
 */
export const admitScript = `
local cost = tonumber(ARGV[1])
local interval = tonumber(ARGV[4])
local concurrency = tonumber(ARGV[7])
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local nowMs = math.floor(now / 1000)
if concurrency > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', nowMs)
  if redis.call('ZCARD', KEYS[3]) >= concurrency then
    return {0, 3, used, 0, 0, 0}
  end
end
local remaining, reset, newTat = 0, 0, 0
if interval > 0 then
  local capacity = math.max(1, tonumber(ARGV[5])) * interval
  local tat = tonumber(redis.call('GET', KEYS[2]) or '0')
  if tat < now then tat = now end
  newTat = tat + cost * interval
  local allowAt = newTat - capacity
  if now < allowAt then
    return {0, 1, used, allowAt - now, math.max(0, math.floor((now + capacity - tat) / interval)), tat - now}
  end
  remaining = math.floor((now - allowAt) / interval)
  reset = newTat - now
end
if used + cost > tonumber(ARGV[2]) then
  if interval > 0 then return {0, 2, used, 0, remaining + cost, reset - cost * interval} end
  return {0, 2, used, 0, 0, 0}
end
used = redis.call('INCRBY', KEYS[1], cost)
if redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIREAT', KEYS[1], ARGV[3])
end
if interval > 0 then
  redis.call('SET', KEYS[2], string.format('%.0f', newTat), 'PX', math.floor(reset / 1000) + 1000)
end
if concurrency > 0 then
  local leaseMs = tonumber(ARGV[8])
  redis.call('ZADD', KEYS[3], nowMs + leaseMs, ARGV[6])
  -- Only ever extended: a shorter lease must not expire the set under a longer one.
  if redis.call('PTTL', KEYS[3]) < leaseMs then
    redis.call('PEXPIRE', KEYS[3], leaseMs)
  end
end
return {1, 0, used, 0, remaining, reset}
`;

/**
 * The batched form of admitScript: the requests of one consumer that arrived in the same turn of
 * the event loop, decided in arrival order in one atomic step, as if sent one after another.
 *
 * KEYS as admitScript. ARGV: limit, expiresAtMs, intervalUs (0: no rate), burst, concurrency limit
 * (0: none), leaseMs, releaseCount, then releaseCount lease ids to give back first (requests of
 * this consumer that finished since the last call), then (cost, leaseId) per request. Returns
 * six numbers per request, laid out as admitScript's reply.
 */
export const admitBatchScript = `
local limit = tonumber(ARGV[1])
local interval = tonumber(ARGV[3])
local concurrency = tonumber(ARGV[5])
local leaseMs = tonumber(ARGV[6])
local releaseCount = tonumber(ARGV[7])
local first = 8 + releaseCount
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local nowMs = math.floor(now / 1000)
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local startUsed = used
local held = 0
if concurrency > 0 then
  if releaseCount > 0 then redis.call('ZREM', KEYS[3], unpack(ARGV, 8, first - 1)) end
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', nowMs)
  held = redis.call('ZCARD', KEYS[3])
end
local capacity, tat, startTat = 0, 0, 0
if interval > 0 then
  capacity = math.max(1, tonumber(ARGV[4])) * interval
  startTat = tonumber(redis.call('GET', KEYS[2]) or '0')
  tat = startTat
end
local out = {}
local leases = {}
for i = first, #ARGV, 2 do
  local cost = tonumber(ARGV[i])
  local refused = 0
  local retry, remaining, reset, newTat = 0, 0, 0, 0
  if concurrency > 0 and held >= concurrency then
    refused = 3
  else
    if interval > 0 then
      local base = tat
      if base < now then base = now end
      newTat = base + cost * interval
      local allowAt = newTat - capacity
      if now < allowAt then
        refused = 1
        retry = allowAt - now
        remaining = math.max(0, math.floor((now + capacity - base) / interval))
        reset = base - now
      else
        remaining = math.floor((now - allowAt) / interval)
        reset = newTat - now
      end
    end
    if refused == 0 and used + cost > limit then
      refused = 2
      if interval > 0 then
        remaining = remaining + cost
        reset = reset - cost * interval
      end
    end
  end
  if refused == 0 then
    used = used + cost
    if interval > 0 then tat = newTat end
    if concurrency > 0 then
      held = held + 1
      leases[#leases + 1] = nowMs + leaseMs
      leases[#leases + 1] = ARGV[i + 1]
    end
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
  out[#out + 1] = refused
  out[#out + 1] = used
  out[#out + 1] = retry
  out[#out + 1] = remaining
  out[#out + 1] = reset
end
if used ~= startUsed then
  redis.call('INCRBY', KEYS[1], used - startUsed)
  if redis.call('PTTL', KEYS[1]) == -1 then
    redis.call('PEXPIREAT', KEYS[1], ARGV[2])
  end
end
if interval > 0 and tat ~= startTat then
  redis.call('SET', KEYS[2], string.format('%.0f', tat), 'PX', math.floor((tat - now) / 1000) + 1000)
end
if #leases > 0 then
  redis.call('ZADD', KEYS[3], unpack(leases))
  if redis.call('PTTL', KEYS[3]) < leaseMs then
    redis.call('PEXPIRE', KEYS[3], leaseMs)
  end
end
return out
`;
