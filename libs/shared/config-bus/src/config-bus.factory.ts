import { type Logger } from '@tollgate/observability';
import { type ConfigBus } from './config-bus.port';
import { InProcessConfigBus } from './in-process-config-bus.adapter';
import { RedisConfigBus } from './redis-config-bus.adapter';

export interface ConfigBusConfig {
  REDIS_URL?: string;
  REDIS_KEY_PREFIX: string;
}

/** Redis pub/sub when REDIS_URL is set (distributed), otherwise in-process (embedded, one node). */
export function createConfigBus(config: ConfigBusConfig, logger?: Logger): ConfigBus {
  return config.REDIS_URL
    ? new RedisConfigBus({ redis: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, logger })
    : new InProcessConfigBus({ logger });
}
