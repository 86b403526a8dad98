import { type IncomingMessage, type ServerResponse } from 'node:http';
import { internalErrorProblem, writeProblem } from '@tollgate/gateway-data-plane';
import { uuidv7 } from '@tollgate/ids';
import { type TollgateMeter } from './tollgate-meter';

export type NodeRequestHandler = (request: IncomingMessage, response: ServerResponse) => unknown;

/**
 * Wraps a `node:http` request listener: the handler runs only for admitted requests. A handler that
 * throws (or rejects) before answering gets a 500 problem, which the default policy does not count.
 */
export function tollgateHttp(
  meter: TollgateMeter,
): (handler: NodeRequestHandler) => (request: IncomingMessage, response: ServerResponse) => void {
  return (handler) => (request, response) => {
    meter.handle(request, response, () => {
      const fail = (error: unknown): void => {
        meter.logError(error);
        if (!response.headersSent) writeProblem(response, internalErrorProblem(), uuidv7());
        else response.destroy();
      };
      try {
        const result = handler(request, response);
        if (result instanceof Promise) result.catch(fail);
      } catch (error) {
        fail(error);
      }
    });
  };
}
