import { type Counters } from '@tollgate/ports';
import { createMemoryCounters } from './memory-counters.adapter';
import { createRedisCounters } from './redis-counters.adapter';

export interface CountersConfig {
  REDIS_URL?: string;
  REDIS_KEY_PREFIX: string;
}

/** Redis when REDIS_URL is set (distributed), otherwise in-memory (embedded, one node). */
export function createCounters(config: CountersConfig): Counters {
  return config.REDIS_URL
    ? createRedisCounters({ redis: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX })
    : createMemoryCounters();
}
