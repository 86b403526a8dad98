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
