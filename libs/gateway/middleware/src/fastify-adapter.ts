import { type FastifyInstance, type FastifyPluginCallback } from 'fastify';
import { type TollgateMeter } from './tollgate-meter';

/**
 * A Fastify plugin: `onRequest` decides (a refusal is written to the raw response and the reply is
 * hijacked), `onResponse` meters. Registered without encapsulation so its hooks cover the
 * routes of the instance it is registered on.
 */
export function tollgateFastify(meter: TollgateMeter): FastifyPluginCallback {
  const plugin: FastifyPluginCallback = (fastify: FastifyInstance, _options, done) => {
    fastify.addHook('onRequest', (request, reply, hookDone) => {
      void meter.begin(request.raw, reply.raw).then(
        (admitted) => {
          if (admitted) {
            hookDone();
            return;
          }
          // The meter answered on the raw response already; a hijacked reply ends the lifecycle here.
          reply.hijack();
          hookDone();
        },
        (error: unknown) => hookDone(error instanceof Error ? error : new Error(String(error))),
      );
    });
    fastify.addHook('onResponse', (request, reply, hookDone) => {
      meter.finish(request.raw, reply.raw);
      hookDone();
    });
    done();
  };
  // What fastify-plugin sets: share the hooks with the parent context instead of encapsulating them.
  Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'tollgate',
  });
  return plugin;
}
