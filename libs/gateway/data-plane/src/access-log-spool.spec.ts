import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AccessLogEvent } from '@tollgate/access-log';
import { createLogger } from '@tollgate/observability';
import { Registry } from 'prom-client';
import { AccessLogSpool } from './access-log-spool';
import { registerAccessLogSpoolMetrics } from './access-log-spool-metrics';

const logger = createLogger({ app: 'access-log-spool-spec', level: 'silent' });

function event(index: number): AccessLogEvent {
  return {
    id: `0190a000-0000-7000-8000-${String(index).padStart(12, '0')}`,
    ts: 1_700_000_000_000 + index,
    consumerId: `cons_${index % 3}`,
    planId: 'plan_a',
    apiId: 'api_a',
    endpoint: 'GET /v1/orders/:id',
    method: 'GET',
    status: 200,
    requestBytes: 0,
    responseBytes: 10,
    latencyMs: 1,
    upstreamLatencyMs: 1,
    cached: false,
    counted: true,
    usage: { sms: 1 },
  };
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, offset) => event(from + offset));
const ids = (events: AccessLogEvent[]) => events.map((one) => one.id);

describe('AccessLogSpool', () => {
  let directory: string;
  const open: AccessLogSpool[] = [];
  const openSpool = async (maxBytes?: number) => {
    const spool = await AccessLogSpool.open({ directory, logger, maxBytes });
    open.push(spool);
    return spool;
  };

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'tollgate-spool-spec-'));
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((spool) => spool.close()));
    await rm(directory, { recursive: true, force: true });
  });

  it('reads appended events back in order, in batches, without removing them', async () => {
    const spool = await openSpool();
    expect(await spool.append(range(0, 3))).toBe(0);
    expect(await spool.append(range(3, 5))).toBe(0);
    expect(spool.depth).toBe(5);
    expect(spool.oldestTs).toBe(event(0).ts);
    const first = await spool.read(2);
    expect(first.events).toEqual([event(0), event(1)]);
    expect(first.nextTs).toBe(event(2).ts);
    expect(ids((await spool.read(10)).events)).toEqual(ids(range(0, 5)));
    expect(spool.depth).toBe(5);
  });

  it('removes events only when acknowledged, and keeps the rest for the next process', async () => {
    const spool = await openSpool();
    await spool.append(range(0, 5));
    const batch = await spool.read(2);
    await spool.ack(batch);
    expect(spool.depth).toBe(3);
    expect(spool.oldestTs).toBe(event(2).ts);
    expect(ids((await spool.read(10)).events)).toEqual(ids(range(2, 5)));
    // Read but never acknowledged (a crash before the send resolved): still there after a restart.
    await spool.read(3);
    await spool.close();
    open.splice(0);

    const reopened = await openSpool();
    expect(reopened.depth).toBe(3);
    expect(reopened.oldestTs).toBe(event(2).ts);
    expect(ids((await reopened.read(10)).events)).toEqual(ids(range(2, 5)));
  });

  it('empties the file once everything is acknowledged', async () => {
    const spool = await openSpool();
    await spool.append(range(0, 4));
    expect(spool.fileBytes).toBeGreaterThan(0);
    await spool.ack(await spool.read(4));
    expect(spool.depth).toBe(0);
    expect(spool.fileBytes).toBe(0);
    expect(spool.oldestTs).toBeNull();
    expect((await stat(join(directory, 'access-log.spool'))).size).toBe(0);
    expect((await spool.read(10)).events).toEqual([]);
    await spool.append(range(4, 5));
    expect(ids((await spool.read(10)).events)).toEqual([event(4).id]);
  });

  it('cuts a torn tail on open and keeps every whole record before it', async () => {
    const spool = await openSpool();
    await spool.append(range(0, 3));
    await spool.close();
    open.splice(0);
    // A crash in the middle of a write: half a record without its newline.
    const line = (await readFile(join(directory, 'access-log.spool'), 'utf8')).split('\n')[0] ?? '';
    await appendFile(join(directory, 'access-log.spool'), line.slice(0, 40));
    const sizeWithTail = (await stat(join(directory, 'access-log.spool'))).size;

    const reopened = await openSpool();
    expect(reopened.depth).toBe(3);
    expect(reopened.fileBytes).toBe(sizeWithTail - 40);
    await reopened.append(range(3, 4));
    expect(ids((await reopened.read(10)).events)).toEqual(ids(range(0, 4)));
  });

  it('cuts a corrupt record (bad checksum) and what follows it', async () => {
    const spool = await openSpool();
    await spool.append(range(0, 3));
    await spool.close();
    open.splice(0);
    const path = join(directory, 'access-log.spool');
    const lines = (await readFile(path, 'utf8')).split('\n');
    lines[1] = (lines[1] ?? '').replace('"status":200', '"status":500');
    await writeFile(path, lines.join('\n'));

    const reopened = await openSpool();
    expect(reopened.depth).toBe(1);
    expect(ids((await reopened.read(10)).events)).toEqual([event(0).id]);
  });

  it('replays everything when the head file is corrupt (duplicates rather than losses)', async () => {
    const spool = await openSpool();
    await spool.append(range(0, 3));
    await spool.ack(await spool.read(1));
    await spool.close();
    open.splice(0);
    await writeFile(join(directory, 'access-log.spool.head'), 'garbage');

    const reopened = await openSpool();
    expect(ids((await reopened.read(10)).events)).toEqual(ids(range(0, 3)));
  });

  it('drops and counts the events beyond the byte cap, keeping the older ones', async () => {
    const probe = await openSpool();
    await probe.append([event(0)]);
    const lineBytes = probe.fileBytes;
    await Promise.all(open.splice(0).map((spool) => spool.close()));
    await AccessLogSpool.destroy(directory);

    const spool = await openSpool(lineBytes * 3 + 5);
    expect(await spool.append(range(0, 2))).toBe(0);
    expect(await spool.append(range(2, 5))).toBe(2);
    expect(spool.depth).toBe(3);
    expect(spool.dropped).toBe(2);
    expect(ids((await spool.read(10)).events)).toEqual(ids(range(0, 3)));
    // Room again once sent.
    await spool.ack(await spool.read(10));
    expect(await spool.append(range(5, 6))).toBe(0);

    const registry = new Registry();
    registerAccessLogSpoolMetrics(registry, spool);
    const text = await registry.metrics();
    expect(text).toContain('tollgate_gateway_access_log_spool_events 1');
    expect(text).toContain(`tollgate_gateway_access_log_spool_bytes ${lineBytes}`);
    expect(text).toContain('tollgate_gateway_access_log_spool_dropped_total 2');
    expect(text).toMatch(/tollgate_gateway_access_log_spool_oldest_age_seconds \d+/);
  });
});
