export * from './relational-store';
export * from './relational-store-from-config';
export * from './migration-applier';
export * from './migration-checksum';
export * from './migration-error';
export * from './migrations-directory';
export * from './relational-logger';
// The generated client is an implementation detail of this lib: other libs import Prisma,
// PrismaClient, the model types and the enums from `@tollgate/relational` only.
export * from './generated/prisma/client';
