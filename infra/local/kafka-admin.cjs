// Small Kafka admin helper for services-up.sh. A Node process with kafkajs answers in a fraction of a second,
// where each JVM-based Kafka tool would cost several seconds of start-up on a 2-core machine.
//
//   node infra/local/kafka-admin.cjs ping         --brokers 127.0.0.1:9092 [--timeout-ms 3000]
//   node infra/local/kafka-admin.cjs wait         --brokers 127.0.0.1:9092 --timeout-ms 90000
//   node infra/local/kafka-admin.cjs ensure-topic --brokers 127.0.0.1:9092 --topic T --partitions 6 [--timeout-ms 30000]
//   node infra/local/kafka-admin.cjs describe     --brokers 127.0.0.1:9092 --topic T
//
// Exit codes: 0 success, 1 Kafka did not answer (or the request failed), 2 bad usage.
'use strict';

const { parseArgs } = require('node:util');
const { Kafka, logLevel } = require('kafkajs');

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    brokers: { type: 'string', default: '127.0.0.1:9092' },
    topic: { type: 'string' },
    partitions: { type: 'string', default: '1' },
    'replication-factor': { type: 'string', default: '1' },
    'timeout-ms': { type: 'string' },
  },
});

const command = positionals[0];
const brokers = values.brokers.split(',').map((broker) => broker.trim());

function fail(message, code = 1) {
  process.stderr.write(`kafka-admin: ${message}\n`);
  process.exit(code);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function newAdmin(timeoutMs) {
  const kafka = new Kafka({
    clientId: 'tollgate-services-up',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 3000),
    requestTimeout: Math.max(timeoutMs, 1000),
    // The callers own the retry loop and its deadline; kafkajs' own retries would overrun it.
    retry: { retries: 0 },
  });
  return kafka.admin();
}

// Runs `action` with a connected admin client until it succeeds or the deadline passes.
async function withAdminUntil(deadline, action) {
  let lastError;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw lastError ?? new Error('deadline passed before the first attempt');
    const admin = newAdmin(remaining);
    try {
      await admin.connect();
      return await action(admin);
    } catch (error) {
      lastError = error;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await sleep(Math.min(500, Math.max(0, deadline - Date.now())));
  }
}

async function describeCluster(admin) {
  const cluster = await admin.describeCluster();
  if (cluster.brokers.length === 0) throw new Error('the cluster reports no brokers yet');
  return cluster;
}

async function partitionCount(admin, topic) {
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  return metadata.topics[0].partitions.length;
}

async function ensureTopic(admin, topic, partitions, replicationFactor) {
  // createTopics answers false when the topic exists, so concurrent callers are harmless.
  const created = await admin.createTopics({
    topics: [{ topic, numPartitions: partitions, replicationFactor }],
    waitForLeaders: true,
  });
  const actual = await partitionCount(admin, topic);
  return { created, actual };
}

function positiveInt(name, raw) {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) fail(`--${name} must be a positive integer, got "${raw}"`, 2);
  return value;
}

async function main() {
  const timeoutMs = positiveInt(
    'timeout-ms',
    values['timeout-ms'] ?? (command === 'wait' ? '90000' : '5000'),
  );
  const deadline = Date.now() + timeoutMs;

  switch (command) {
    case 'ping': {
      // One attempt only: the question is "is a Kafka broker answering right now?".
      const admin = newAdmin(timeoutMs);
      try {
        await admin.connect();
        const cluster = await describeCluster(admin);
        process.stdout.write(`cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s)\n`);
      } catch (error) {
        fail(`no Kafka answer from ${values.brokers}: ${error.message}`);
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
      return;
    }
    case 'wait': {
      try {
        const cluster = await withAdminUntil(deadline, describeCluster);
        process.stdout.write(`cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s)\n`);
      } catch (error) {
        fail(`Kafka on ${values.brokers} not ready within ${timeoutMs} ms: ${error.message}`);
      }
      return;
    }
    case 'ensure-topic': {
      if (!values.topic) fail('--topic is required', 2);
      const partitions = positiveInt('partitions', values.partitions);
      const replicationFactor = positiveInt('replication-factor', values['replication-factor']);
      try {
        const { created, actual } = await withAdminUntil(deadline, (admin) =>
          ensureTopic(admin, values.topic, partitions, replicationFactor),
        );
        process.stdout.write(`${values.topic}: ${created ? 'created' : 'exists'}, ${actual} partition(s)\n`);
        if (actual !== partitions) {
          process.stderr.write(
            `kafka-admin: warning: ${values.topic} has ${actual} partition(s), ${partitions} were asked for; ` +
              'delete infra/local/.run/kafka (after services:down) to recreate it\n',
          );
        }
      } catch (error) {
        fail(`could not create or read topic ${values.topic} within ${timeoutMs} ms: ${error.message}`);
      }
      return;
    }
    case 'describe': {
      if (!values.topic) fail('--topic is required', 2);
      try {
        const count = await withAdminUntil(deadline, (admin) => partitionCount(admin, values.topic));
        process.stdout.write(`${values.topic}: ${count} partition(s)\n`);
      } catch (error) {
        fail(`could not describe topic ${values.topic}: ${error.message}`);
      }
      return;
    }
    default:
      fail(`unknown command "${command ?? ''}"; use ping, wait, ensure-topic or describe`, 2);
  }
}

main().catch((error) => fail(error.stack ?? String(error)));
