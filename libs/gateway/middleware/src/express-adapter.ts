import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type TollgateMeter } from './tollgate-meter';

/** An Express (4/5) middleware; typed on Node's request/response so the lib does not need Express. */
export type TollgateExpressMiddleware = (
  request: IncomingMessage,
  response: ServerResponse,
  next: (error?: unknown) => void,
) => void;

export function tollgateExpress(meter: TollgateMeter): TollgateExpressMiddleware {
  return (request, response, next) => meter.handle(request, response, () => next());
}
