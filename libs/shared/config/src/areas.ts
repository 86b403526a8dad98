import { z } from 'zod';
import { variable } from './variables';

/** Per-area schemas. Each app's schema is composed from the areas it uses (see apps.ts). */

export const logArea = z.object({
  LOG_LEVEL: variable
    .string({ description: 'pino log level: fatal, error, warn, info, debug, trace or silent' })
    .pipe(
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        error: 'one of fatal, error, warn, info, debug, trace, silent',
      }),
    )
    .default('info'),
});

export const dataDirArea = z.object({
  TOLLGATE_DATA_DIR: variable
    .string({ description: 'Directory for embedded-mode data (PGlite, chDB, event log, outbox, demo.json)' })
    .default('./.data'),
});

export const controlPlaneHttpArea = z.object({
  PORT: variable
    .port({ description: 'HTTP port of the control plane (admin API, portal, usage API)' })
    .default(3000),
  HOST: variable.string({ description: 'Interface the HTTP servers bind to' }).default('127.0.0.1'),
  PUBLIC_URL: variable
    .url({
      description:
        'Base URL developers use to reach the control plane (links in mail); default http://HOST:PORT',
    })
    .optional(),
});

export const gatewayHttpArea = z.object({
  GATEWAY_PORT: variable
    .port({ description: 'HTTP port of the gateway (proxied API traffic)' })
    .default(8080),
  GATEWAY_OPS_PORT: variable
    .port({ description: 'HTTP port of the gateway health/metrics endpoints in distributed mode' })
    .default(8081),
  HOST: variable.string({ description: 'Interface the HTTP servers bind to' }).default('127.0.0.1'),
  GATEWAY_UPSTREAM_TIMEOUT_MS: variable
    .positiveInt({ description: 'Upstream response timeout; on expiry the gateway answers 504' })
    .default(30_000),
  GATEWAY_CONCURRENCY_LEASE_MS: variable
    .positiveInt({
      description:
        'Lifetime of a concurrency lease; a node that dies without releasing its leases gives them back when they lapse (default: the longer of 60 s and 4 × GATEWAY_UPSTREAM_TIMEOUT_MS)',
    })
    .optional(),
  GATEWAY_MIN_NODES: variable
    .positiveInt({
      description:
        'Lower bound of the gateway node count used when Redis is down and a plan fails open (local limits = limits ÷ nodes); the live count comes from a heartbeat in Redis',
    })
    .default(1),
  ACCESS_LOG_BUFFER_EVENTS: variable
    .positiveInt({
      description:
        'Access-log events held in memory while the event log is slow or down; beyond this they go to the disk spool under TOLLGATE_DATA_DIR/spool',
    })
    .default(10_000),
  ACCESS_LOG_SPOOL_MAX_BYTES: variable
    .positiveInt({
      description:
        'Size cap of the access-log disk spool; events beyond it are dropped, logged and counted (tollgate_gateway_access_log_spool_dropped_total)',
    })
    .default(268_435_456),
});

export const opsHttpArea = z.object({
  OPS_PORT: variable
    .port({ description: 'HTTP port for /healthz, /readyz and /metrics of a worker app' })
    .default(9464),
  HOST: variable.string({ description: 'Interface the HTTP servers bind to' }).default('127.0.0.1'),
});

export const relationalArea = z.object({
  DATABASE_URL: variable
    .url({ description: 'PostgreSQL URL; unset in embedded mode (PGlite under TOLLGATE_DATA_DIR)' })
    .optional(),
});

export const analyticsArea = z.object({
  CLICKHOUSE_URL: variable
    .url({ description: 'ClickHouse HTTP URL; unset in embedded mode (chDB under TOLLGATE_DATA_DIR)' })
    .optional(),
  CLICKHOUSE_DATABASE: variable.string({ description: 'ClickHouse database name' }).default('tollgate'),
  CLICKHOUSE_USER: variable.string({ description: 'ClickHouse user' }).default('default'),
  CLICKHOUSE_PASSWORD: variable.string({ description: 'ClickHouse password', secret: true }).optional(),
});

export const eventLogArea = z.object({
  KAFKA_BROKERS: variable
    .list({ description: 'Comma-separated Kafka bootstrap brokers; unset in embedded mode (in-process log)' })
    .optional(),
  KAFKA_CLIENT_ID: variable.string({ description: 'Kafka client id prefix' }).default('tollgate'),
  ACCESS_LOG_TOPIC: variable
    .string({ description: 'Topic of the gateway access-log events' })
    .default('tollgate.access-log.v1'),
  ACCESS_LOG_PARTITIONS: variable
    .positiveInt({ description: 'Partition count used when the access-log topic is created' })
    .default(6),
  QUOTA_EVENTS_TOPIC: variable
    .string({
      description:
        'Topic of the quota events (alert thresholds crossed, quota exhausted) the gateway emits for the billing worker',
    })
    .default('tollgate.quota-events.v1'),
});

export const countersArea = z.object({
  REDIS_URL: variable
    .url({
      description:
        'Redis URL: quotas, rates and concurrency, the config bus that pushes snapshots to gateways, control-plane abuse limits; unset in embedded mode (in-memory)',
    })
    .optional(),
  REDIS_KEY_PREFIX: variable
    .string({ description: 'Prefix of every Redis key Tollgate writes' })
    .default('tg:'),
});

export const jobsArea = z.object({
  REDIS_URL: countersArea.shape.REDIS_URL,
  JOBS_QUEUE_PREFIX: variable.string({ description: 'BullMQ queue prefix' }).default('tollgate'),
});

export const jobsBoardArea = z.object({
  JOBS_BOARD_TOKEN: variable
    .string({
      description:
        'Password (HTTP Basic, any user name) of the jobs board at /jobs on the ops port; unset, the board is not mounted',
      secret: true,
    })
    .pipe(z.string().min(24, { error: 'at least 24 characters' }))
    .optional(),
});

export const mailArea = z.object({
  SMTP_URL: variable
    .url({ description: 'SMTP URL (smtp://user:pass@host:port); unset in embedded mode (outbox folder)' })
    .optional(),
  MAIL_FROM: variable
    .string({ description: 'Sender of every mail' })
    .default('Tollgate <no-reply@tollgate.local>'),
});

export const adminArea = z.object({
  ADMIN_TOKEN: variable
    .string({
      description: 'Bootstrap admin bearer token; generated at first start in embedded mode',
      secret: true,
    })
    .pipe(z.string().min(24, { error: 'at least 24 characters' }))
    .optional(),
});

export const stripeArea = z.object({
  STRIPE_SECRET_KEY: variable
    .string({ description: 'Stripe API secret key (sk_…); unset, nothing is sent to Stripe', secret: true })
    .optional(),
  STRIPE_WEBHOOK_SECRET: variable
    .string({
      description:
        'Signing secret (whsec_…) of the Stripe webhook endpoint /api/billing/stripe/webhook; unset, that endpoint answers 404',
      secret: true,
    })
    .optional(),
  STRIPE_API_BASE: variable
    .url({
      description:
        "Base URL of the Stripe API (e.g. a local Stripe-compatible test server); unset, Stripe's own",
    })
    .optional(),
});

export const billingArea = z.object({
  BILLING_PUSH_INTERVAL_MS: variable
    .positiveInt({
      description:
        'How often usage is pushed to Stripe: each subscription and meter reports the growth of its period total since the last push (ms)',
    })
    .default(300_000),
  BILLING_SYNC_INTERVAL_MS: variable
    .positiveInt({
      description:
        'How often plans, consumers and subscriptions are synced to Stripe products, prices, meters, customers and subscriptions (ms)',
    })
    .default(300_000),
  ALERT_RECHECK_INTERVAL_MS: variable
    .positiveInt({
      description:
        "How often every subscription's period usage is re-read from ClickHouse to raise any threshold alert a lost gateway event missed (ms)",
    })
    .default(300_000),
  DUNNING_INTERVAL_MS: variable
    .positiveInt({
      description:
        'How often past-due subscriptions are checked: dunning mails, and the downgrade or key suspension once the grace period is over (ms)',
    })
    .default(60_000),
  WEBHOOK_TIMEOUT_MS: variable
    .positiveInt({ description: "Timeout of one delivery to a consumer's webhook URL (ms)" })
    .default(10_000),
  WEBHOOK_ATTEMPTS: variable
    .positiveInt({
      description:
        "Tries of a delivery to a consumer's webhook URL before it is marked failed (exponential backoff)",
    })
    .default(8),
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: variable
    .boolean({
      description:
        'Deliver consumer webhooks to loopback, private and link-local addresses too; for development and tests only (off, such a webhook URL is refused)',
    })
    .default(false),
});

export const gatewayLinkArea = z.object({
  PLANS_URL: variable
    .url({ description: 'Base URL of the plans service the gateway pulls its config snapshot from' })
    .default('http://127.0.0.1:3000'),
  GATEWAY_TOKEN: variable
    .string({ description: 'Shared secret the gateway presents to the plans service', secret: true })
    .pipe(z.string().min(24, { error: 'at least 24 characters' }))
    .optional(),
  SNAPSHOT_POLL_MS: variable
    .positiveInt({ description: 'How often the gateway asks the plans service for a newer snapshot' })
    .default(1000),
});

export const meteringArea = z.object({
  METERING_BATCH_ROWS: variable
    .positiveInt({ description: 'Flush an insert into ClickHouse once this many rows are buffered' })
    .default(10_000),
  METERING_FLUSH_MS: variable
    .positiveInt({ description: 'Flush an insert into ClickHouse at least this often (ms)' })
    .default(1000),
  METERING_GROUP_ID: variable
    .string({ description: 'Kafka consumer group of the metering app' })
    .default('tollgate-metering'),
  METERING_SESSION_TIMEOUT_MS: variable
    .positiveInt({
      description:
        'Kafka group session timeout of metering: how long a crashed instance holds its partitions (at least the broker minimum, 6000 by default)',
    })
    .default(30_000),
  INGEST_TOPIC: variable
    .string({
      description: 'Topic of business events from the ingest API; metering reads it beside the access log',
    })
    .default('tollgate.ingest.v1'),
  LATE_EVENT_GRACE_MS: variable
    .positiveInt({
      description:
        'An event stored more than this long after its own timestamp is late and also gets a row in usage_corrections (ms)',
    })
    .default(3_600_000),
});

export const ingestArea = z.object({
  INGEST_DEDUP_RETENTION_MS: variable
    .positiveInt({
      description:
        'How long the ingest API remembers an event (API, source, id) to answer a resend as a duplicate (ms); keep it at least INGEST_MAX_AGE_MS',
    })
    .default(3_024_000_000),
  INGEST_MAX_AGE_MS: variable
    .positiveInt({
      description: 'Business events whose time is older than this are rejected by the ingest API (ms)',
    })
    .default(3_024_000_000),
});

export const reconciliationArea = z.object({
  RECONCILIATION_INTERVAL_MS: variable
    .positiveInt({
      description:
        "How often the usage reconciliation compares each consumer's gateway quota counter with its metered usage",
    })
    .default(900_000),
  RECONCILIATION_SETTLE_MS: variable
    .positiveInt({
      description:
        'How long the usage reconciliation waits after reading the gateway counters before reading metered usage, and again before rechecking a consumer that disagreed (events lag the counter)',
    })
    .default(5_000),
});

export const demoArea = z.object({
  SEED_DEMO: variable
    .boolean({ description: 'Seed the demo plans, echo API, demo consumer and key on first start' })
    .default(true),
  DEMO_ECHO_PORT: variable
    .port({ description: 'Port of the built-in echo demo upstream (0 picks a free port)' })
    .default(8090),
});
