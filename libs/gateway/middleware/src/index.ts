export * from './express-adapter';
export * from './fastify-adapter';
export * from './http-adapter';
export * from './nest-adapter';
export * from './tollgate-meter';
