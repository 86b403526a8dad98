import { DependencyUnavailableError, DomainError, type FieldIssue, ValidationError } from '@tollgate/errors';
import {
  type IngestCloudEvent,
  ingestDedupKey,
  type IngestedRecord,
  type IngestFieldError,
  MAX_INGEST_BATCH,
  toIngestedRecord,
  validateIngestEvent,
} from '@tollgate/metering-domain';
import { type Logger } from '@tollgate/observability';
import { type Counters, type EventLogProducer } from '@tollgate/ports';
import { type PrismaClient } from '@tollgate/relational';

/**
 * The ingest API's use case (docs/ingest.md): validates business events, resolves each to its
 * consumer, drops those already ingested, and produces the rest to the ingest topic.
 */

export type IngestStatus = 'accepted' | 'duplicate' | 'rejected' | 'failed';

export interface IngestEventResult {
  /** Position of the event in the request (0 for a single event). */
  index: number;
  /** The event's `id` and `source` as sent (null when missing or not a string). */
  id: string | null;
  source: string | null;
  status: IngestStatus;
  /** Why a `rejected` event was refused; fields are relative to the event. */
  errors?: IngestFieldError[];
}

export interface IngestOutcome {
  results: IngestEventResult[];
}

/** The request body: one event, or a batch (a JSON array). */
export type IngestRequest = { kind: 'single'; event: unknown } | { kind: 'batch'; events: unknown[] };

export interface EventIngestionOptions {
  prisma: PrismaClient;
  counters: Counters;
  producer: EventLogProducer;
  /** The ingest topic metering reads (`INGEST_TOPIC`). */
  topic: string;
  /** How long an ingested (API, source, id) is remembered (`INGEST_DEDUP_RETENTION_MS`). */
  dedupRetentionMs: number;
  /** Older events are rejected (`INGEST_MAX_AGE_MS`). */
  maxAgeMs: number;
  logger: Logger;
  /** Clock, for tests. */
  now?: () => number;
}

interface Entry {
  result: IngestEventResult;
  event?: IngestCloudEvent;
  tsMs?: number;
  /** Set while the event is still to be ingested. */
  record?: IngestedRecord;
}

type PendingEntry = Entry & { record: IngestedRecord };

function pendingOf(entries: Entry[]): PendingEntry[] {
  return entries.filter((entry): entry is PendingEntry => entry.record !== undefined);
}

interface ResolvedConsumer {
  consumerId: string;
  planId: string;
}

function textOf(value: unknown, key: string): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === 'string' ? field : null;
}

function reject(entry: Entry, errors: IngestFieldError[]): void {
  entry.result.status = 'rejected';
  entry.result.errors = errors;
  entry.record = undefined;
}

export class EventIngestion {
  private readonly now: () => number;

  constructor(private readonly options: EventIngestionOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Ingests one event or a batch for the API the ingest token belongs to. A single event that is
   * refused, or a batch whose every event is refused, is a ValidationError naming the fields
   * (`subject`, or `[3].time` in a batch); otherwise every event gets its own result. When the
   * event log refuses the whole write, the error carries the results (503).
   */
  async ingest(apiId: string, request: IngestRequest): Promise<IngestOutcome> {
    const events = request.kind === 'single' ? [request.event] : request.events;
    if (events.length === 0) {
      throw new ValidationError([{ field: '(body)', message: 'The batch holds no event' }]);
    }
    if (events.length > MAX_INGEST_BATCH) {
      throw new ValidationError([
        {
          field: '(body)',
          message: `A batch holds at most ${MAX_INGEST_BATCH} events, got ${events.length}`,
        },
      ]);
    }
    const nowMs = this.now();
    const entries: Entry[] = events.map((value, index) => {
      const result: IngestEventResult = {
        index,
        id: textOf(value, 'id'),
        source: textOf(value, 'source'),
        status: 'accepted',
      };
      const validation = validateIngestEvent(value, { nowMs, maxAgeMs: this.options.maxAgeMs });
      if (!validation.ok) {
        result.status = 'rejected';
        result.errors = validation.errors;
        return { result };
      }
      return { result, event: validation.event, tsMs: validation.tsMs };
    });

    await this.resolveConsumers(apiId, entries, nowMs);
    this.refuseWhenNothingIsLeft(request, entries);
    this.markRepeatsInBatch(entries);
    await this.markIngested(entries, nowMs);
    await this.produce(entries);
    return { results: entries.map((entry) => entry.result) };
  }

  /** Subject → consumer (its id, else its externalId): it must exist, be active and subscribed. */
  private async resolveConsumers(apiId: string, entries: Entry[], nowMs: number): Promise<void> {
    const subjects = [...new Set(entries.flatMap((entry) => (entry.event ? [entry.event.subject] : [])))];
    if (subjects.length === 0) return;
    const consumers = await this.options.prisma.consumer.findMany({
      where: { OR: [{ id: { in: subjects } }, { externalId: { in: subjects } }] },
      include: {
        subscriptions: { where: { status: { not: 'canceled' } }, orderBy: { createdAt: 'desc' }, take: 1 },
      },
    });
    const byId = new Map(consumers.map((consumer) => [consumer.id, consumer]));
    const byExternalId = new Map(
      consumers.flatMap((consumer) =>
        consumer.externalId ? [[consumer.externalId, consumer] as const] : [],
      ),
    );
    const resolved = new Map<string, ResolvedConsumer | string>();
    for (const subject of subjects) {
      const consumer = byId.get(subject) ?? byExternalId.get(subject);
      const subscription = consumer?.subscriptions[0];
      if (!consumer) resolved.set(subject, 'No consumer has this id or externalId');
      else if (consumer.status !== 'active') resolved.set(subject, `Consumer ${consumer.id} is suspended`);
      else if (!subscription) resolved.set(subject, `Consumer ${consumer.id} has no live subscription`);
      else if (subscription.status === 'suspended') {
        resolved.set(subject, `The subscription of consumer ${consumer.id} is suspended`);
      } else {
        // A scheduled plan change whose date has passed applies now, as in the gateway snapshot.
        const moved =
          subscription.pendingPlanId !== null &&
          subscription.pendingEffectiveAt !== null &&
          subscription.pendingEffectiveAt.getTime() <= nowMs;
        resolved.set(subject, {
          consumerId: consumer.id,
          planId: moved ? (subscription.pendingPlanId as string) : subscription.planId,
        });
      }
    }
    for (const entry of entries) {
      if (!entry.event || entry.tsMs === undefined) continue;
      const target = resolved.get(entry.event.subject);
      if (typeof target === 'string' || target === undefined) {
        reject(entry, [{ field: 'subject', message: target ?? 'Unknown consumer' }]);
        continue;
      }
      entry.record = toIngestedRecord(entry.event, entry.tsMs, { apiId, ...target });
    }
  }

  /** A refused single event, or a batch with every event refused, is a 400 naming the fields. */
  private refuseWhenNothingIsLeft(request: IngestRequest, entries: Entry[]): void {
    if (entries.some((entry) => entry.result.status !== 'rejected')) return;
    const issues: FieldIssue[] = entries.flatMap((entry) =>
      (entry.result.errors ?? []).map((error) => ({
        field:
          request.kind === 'single'
            ? error.field
            : error.field === '(event)'
              ? `[${entry.result.index}]`
              : `[${entry.result.index}].${error.field}`,
        message: error.message,
      })),
    );
    throw new ValidationError(issues);
  }

  /** The same (source, id) twice in one request: the first counts, the others are duplicates. */
  private markRepeatsInBatch(entries: Entry[]): void {
    const seen = new Set<string>();
    for (const entry of entries) {
      if (!entry.record) continue;
      if (seen.has(entry.record.id)) {
        entry.result.status = 'duplicate';
        entry.record = undefined;
      } else {
        seen.add(entry.record.id);
      }
    }
  }

  /**
   * Marks each remaining event as ingested: set-if-absent on its key. An event whose mark already
   * exists is a duplicate. When the counters fail, the marks just taken are given back (503).
   */
  private async markIngested(entries: Entry[], nowMs: number): Promise<void> {
    const pending = pendingOf(entries);
    const expiresAtMs = nowMs + this.options.dedupRetentionMs;
    const marks = await Promise.allSettled(
      pending.map((entry) =>
        this.options.counters.incrementWithin(ingestDedupKey(entry.record.id), 1, 1, expiresAtMs),
      ),
    );
    const failure = marks.find((mark) => mark.status === 'rejected');
    if (failure) {
      const taken = pending.filter((_, index) => {
        const mark = marks[index];
        return mark.status === 'fulfilled' && mark.value.applied;
      });
      await this.unmark(taken);
      throw failure.reason instanceof DomainError
        ? failure.reason
        : new DependencyUnavailableError('counters', failure.reason);
    }
    pending.forEach((entry: Entry, index) => {
      const mark = marks[index];
      if (mark.status === 'fulfilled' && !mark.value.applied) {
        entry.result.status = 'duplicate';
        entry.record = undefined;
      }
    });
  }

  /**
   * Produces the marked events in one write (keyed by consumer, like the access log). If the event
   * log refuses it, their marks are removed so that a resend is ingested rather than taken for a
   * duplicate, they are `failed`, and the request fails (503) with every event's result.
   */
  private async produce(entries: Entry[]): Promise<void> {
    const toSend = pendingOf(entries);
    if (toSend.length === 0) return;
    try {
      await this.options.producer.send(
        this.options.topic,
        toSend.map((entry) => ({ key: entry.record.consumerId, value: JSON.stringify(entry.record) })),
      );
    } catch (error) {
      this.options.logger.warn(
        { err: error, events: toSend.length, topic: this.options.topic },
        'ingest: the event log refused the write; the events are reported as failed',
      );
      await this.unmark(toSend);
      for (const entry of toSend) entry.result.status = 'failed';
      throw new DomainError('dependency_unavailable', 'The event log is unavailable: no event was ingested', {
        dependency: 'event log',
        results: entries.map((entry) => entry.result),
      });
    }
  }

  /** Gives marks back (best effort: one that cannot be removed makes a resend look like a duplicate). */
  private async unmark(entries: PendingEntry[]): Promise<void> {
    const expiresAtMs = this.now() + this.options.dedupRetentionMs;
    const undone = await Promise.allSettled(
      entries.map((entry) =>
        this.options.counters.increment(ingestDedupKey(entry.record.id), -1, expiresAtMs),
      ),
    );
    const stuck = entries.filter((_, index) => undone[index].status === 'rejected');
    if (stuck.length > 0) {
      this.options.logger.error(
        { records: stuck.map((entry) => entry.record.id) },
        'ingest: could not remove the dedup marks of events that were not ingested; a resend of them is answered as a duplicate until the marks expire',
      );
    }
  }
}
