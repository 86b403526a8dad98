import { type FastifyInstance, type FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';

export const stripeWebhookPath = '/api/billing/stripe/webhook';

const maxBodyBytes = 1024 * 1024;
const rawBodies = new WeakMap<object, Buffer>();

/** The exact bytes Stripe sent, kept for signature verification (only on the webhook route). */
export function rawBodyOf(request: FastifyRequest): Buffer | undefined {
  return rawBodies.get(request.raw);
}

/**
 * Keeps a copy of the webhook route's body before Fastify parses it as JSON: the signature covers
 * the bytes, which re-serializing the parsed body would not reproduce. Other routes are untouched.
 */
export function keepStripeWebhookRawBody(fastify: FastifyInstance): void {
  fastify.addHook('preParsing', async (request, _reply, payload) => {
    if (request.routeOptions.url !== stripeWebhookPath) return payload;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of payload) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      size += buffer.length;
      if (size > maxBodyBytes) {
        throw Object.assign(new Error('Request body is too large'), { statusCode: 413 });
      }
      chunks.push(buffer);
    }
    const raw = Buffer.concat(chunks);
    rawBodies.set(request.raw, raw);
    return Readable.from([raw]);
  });
}
