import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type DynamicModule, Inject, Injectable, Module, type NestMiddleware } from '@nestjs/common';
import { type TollgateMeter } from './tollgate-meter';

export const TOLLGATE_METER = Symbol('TOLLGATE_METER');

/**
 * Nest middleware (Express or Fastify platform: both hand middleware Node's request/response).
 * Apply it with `consumer.apply(TollgateNestMiddleware).forRoutes(...)` after importing
 * `TollgateModule.forMeter(meter)`.
 */
@Injectable()
export class TollgateNestMiddleware implements NestMiddleware {
  constructor(@Inject(TOLLGATE_METER) private readonly meter: TollgateMeter) {}

  use(request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void): void {
    this.meter.handle(request, response, () => next());
  }
}

@Module({})
export class TollgateModule {
  static forMeter(meter: TollgateMeter): DynamicModule {
    return {
      module: TollgateModule,
      providers: [{ provide: TOLLGATE_METER, useValue: meter }, TollgateNestMiddleware],
      exports: [TOLLGATE_METER, TollgateNestMiddleware],
    };
  }
}
