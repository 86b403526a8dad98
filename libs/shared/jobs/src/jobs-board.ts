import { timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { Queue } from 'bullmq';
import { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';

export interface JobsBoardOptions {
  /** Redis URL of the BullMQ queues. */
  redisUrl: string;
  /** BullMQ key prefix (`JOBS_QUEUE_PREFIX`). */
  prefix: string;
  /** Job names: one queue each (see createBullmqJobs). */
  names: readonly string[];
  /** Operators sign in with HTTP Basic auth: any user name, this token as the password. */
  token: string;
  /** Where the board is mounted (default `/jobs`). */
  basePath?: string;
}

export interface JobsBoard {
  basePath: string;
  close(): Promise<void>;
}

/** True when the request carries HTTP Basic credentials whose password is `token`. */
export function hasBoardCredentials(authorization: string | undefined, token: string): boolean {
  if (!authorization?.startsWith('Basic ')) return false;
  const decoded = Buffer.from(authorization.slice('Basic '.length), 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator < 0) return false;
  const given = Buffer.from(decoded.slice(separator + 1));
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Bull Board for operators in distributed mode: every queue of the given job names with its
 * waiting, delayed, active, completed and failed (dead-letter) jobs, and retry/remove actions.
 * Register it before the Fastify instance starts listening.
 */
export async function mountJobsBoard(
  fastify: FastifyInstance,
  options: JobsBoardOptions,
): Promise<JobsBoard> {
  const basePath = options.basePath ?? '/jobs';
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const queues = options.names.map((name) => new Queue(name, { connection, prefix: options.prefix }));
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(basePath);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Tollgate jobs' } },
  });
  await fastify.register(async (scope) => {
    scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (hasBoardCredentials(request.headers.authorization, options.token)) return;
      await reply
        .status(401)
        .header('www-authenticate', 'Basic realm="Tollgate jobs", charset="UTF-8"')
        .type('application/problem+json')
        .send({
          type: 'about:blank',
          title: 'Unauthorized',
          status: 401,
          detail: 'the jobs board needs the operator token',
        });
    });
    await scope.register(serverAdapter.registerPlugin(), { prefix: basePath });
  });
  return {
    basePath,
    close: async () => {
      await Promise.all(queues.map((queue) => queue.close()));
      connection.disconnect();
    },
  };
}
