import { quotaEventSchema } from '@tollgate/access-log';
import { type EventLog } from '@tollgate/ports';
import { type BillingWorkerLogger } from '../billing-worker-logger';
import { type Alerts } from './alerts';

export interface QuotaEventConsumerOptions {
  eventLog: EventLog;
  /** QUOTA_EVENTS_TOPIC. */
  topic: string;
  groupId: string;
  alerts: Pick<Alerts, 'handleQuotaEvent'>;
  logger: BillingWorkerLogger;
  /** When set, the topic is created with this many partitions if it does not exist yet. */
  partitions?: number;
}

/**
 * Feeds the gateway's quota events to the alerts and returns the function that stops it. An invalid
 * record is skipped with a warning. An event whose handling fails (database or mail server down) is
 * logged and left to the recheck job, which raises missing alerts and resends unsent ones: retrying
 * it here would hold up the partition.
 */
export async function startQuotaEventConsumer(
  options: QuotaEventConsumerOptions,
): Promise<() => Promise<void>> {
  const { eventLog, topic, groupId, alerts, logger } = options;
  if (options.partitions !== undefined) await eventLog.ensureTopic(topic, options.partitions);
  const consumer = await eventLog.consumer(groupId);
  await consumer.run({
    topic,
    eachBatch: async (batch) => {
      for (const record of batch.records) {
        // Throwing leaves the batch uncommitted: the partition's next owner gets it again.
        if (batch.signal.aborted) throw new Error('the partition was revoked mid-batch');
        let value: unknown;
        try {
          value = JSON.parse(record.value);
        } catch {
          value = undefined;
        }
        const parsed = quotaEventSchema.safeParse(value);
        if (!parsed.success) {
          logger.warn(
            {
              topic: record.topic,
              partition: record.partition,
              offset: record.offset,
              issues: parsed.error?.issues.length,
            },
            'skipping an invalid quota event',
          );
          continue;
        }
        try {
          await alerts.handleQuotaEvent(parsed.data);
        } catch (error) {
          logger.error(
            { err: error, eventId: parsed.data.id, consumerId: parsed.data.consumerId },
            'quota event not handled; the alert recheck will raise it',
          );
        }
      }
    },
  });
  return () => consumer.stop();
}
