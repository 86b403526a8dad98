import { ConflictError, NotFoundError } from '@tollgate/errors';
import { generateApiKey, hashApiKey, prefixedId } from '@tollgate/ids';
import {
  type ApiCreate,
  type ApiJwt,
  apiJwtSchema,
  type ApiPatch,
  type RouteCreate,
  type RoutePatch,
} from '@tollgate/plans-domain';
import { type Api, Prisma, type PrismaClient, type Route } from '@tollgate/relational';
import { appendAudit, type Actor } from './audit-log';

type Db = Prisma.TransactionClient;

export interface RouteView {
  id: string;
  apiId: string;
  method: string;
  pathTemplate: string;
  /** The metered endpoint name, e.g. `GET /v1/orders/:id`. */
  endpoint: string;
  costWeight: number;
}

export interface ApiView {
  id: string;
  name: string;
  pathPrefix: string;
  upstreamUrl: string;
  stripPrefix: boolean;
  /** The query parameter that may carry the API key; null: headers only. */
  keyInQuery: string | null;
  /** JWT bearer authentication; null: off. */
  jwt: ApiJwt | null;
  /** Whether an ingest token has been issued (the token itself is never shown again). */
  hasIngestToken: boolean;
  createdAt: string;
  updatedAt: string;
  routes: RouteView[];
}

/** The one response that carries an ingest token. */
export interface IssuedIngestToken {
  apiId: string;
  /** The secret: shown once; only its SHA-256 is stored. */
  token: string;
  /** The first characters, to recognise the token later. */
  prefix: string;
  createdAt: string;
}

/** Ingest tokens look like `tgi_…`, so a leaked one is recognisable for what it is. */
export const ingestTokenPrefix = 'tgi_';

export function routeView(route: Route): RouteView {
  return {
    id: route.id,
    apiId: route.apiId,
    method: route.method,
    pathTemplate: route.pathTemplate,
    endpoint: `${route.method} ${route.pathTemplate}`,
    costWeight: route.costWeight,
  };
}

/** The stored JWT configuration, with defaults filled; null when off or unreadable. */
export function storedApiJwt(value: unknown): ApiJwt | null {
  if (value === null || value === undefined) return null;
  const parsed = apiJwtSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

function jwtColumn(jwt: ApiJwt | null): Prisma.InputJsonValue | typeof Prisma.DbNull {
  return jwt === null ? Prisma.DbNull : (jwt as unknown as Prisma.InputJsonValue);
}

export function apiView(api: Api & { routes: Route[] }): ApiView {
  return {
    id: api.id,
    name: api.name,
    pathPrefix: api.pathPrefix,
    upstreamUrl: api.upstreamUrl,
    stripPrefix: api.stripPrefix,
    keyInQuery: api.keyInQuery,
    jwt: storedApiJwt(api.jwt),
    hasIngestToken: api.ingestTokenHash !== null,
    createdAt: api.createdAt.toISOString(),
    updatedAt: api.updatedAt.toISOString(),
    routes: api.routes.map(routeView),
  };
}

const routesInOrder = {
  orderBy: [{ pathTemplate: 'asc' }, { method: 'asc' }],
} satisfies Prisma.Api$routesArgs;

async function readApi(db: Db, apiId: string): Promise<ApiView> {
  const api = await db.api.findUnique({ where: { id: apiId }, include: { routes: routesInOrder } });
  if (!api) throw new NotFoundError('API', apiId);
  return apiView(api);
}

async function ensurePrefixFree(db: Db, pathPrefix: string, exceptId?: string): Promise<void> {
  const holder = await db.api.findUnique({ where: { pathPrefix }, select: { id: true } });
  if (holder && holder.id !== exceptId) {
    throw new ConflictError(`API ${holder.id} already uses the path prefix ${pathPrefix}`, {
      field: 'pathPrefix',
    });
  }
}

async function ensureRouteFree(
  db: Db,
  apiId: string,
  method: string,
  pathTemplate: string,
  exceptId?: string,
) {
  const holder = await db.route.findUnique({
    where: { apiId_method_pathTemplate: { apiId, method, pathTemplate } },
    select: { id: true },
  });
  if (holder && holder.id !== exceptId) {
    throw new ConflictError(`Route ${method} ${pathTemplate} already exists (${holder.id})`, {
      field: 'pathTemplate',
    });
  }
}

export async function createApi(prisma: PrismaClient, input: ApiCreate, actor?: Actor): Promise<ApiView> {
  return prisma.$transaction(async (tx) => {
    await ensurePrefixFree(tx, input.pathPrefix);
    const id = prefixedId('api');
    await tx.api.create({ data: { id, ...input, jwt: jwtColumn(input.jwt) } });
    const view = await readApi(tx, id);
    await appendAudit(tx, actor, { action: 'api.create', entityType: 'api', entityId: id, after: view });
    return view;
  });
}

export async function listApis(prisma: PrismaClient): Promise<ApiView[]> {
  const apis = await prisma.api.findMany({
    include: { routes: routesInOrder },
    orderBy: [{ pathPrefix: 'asc' }],
  });
  return apis.map(apiView);
}

export async function getApi(prisma: PrismaClient, apiId: string): Promise<ApiView> {
  return prisma.$transaction((tx) => readApi(tx, apiId));
}

export async function patchApi(
  prisma: PrismaClient,
  apiId: string,
  patch: ApiPatch,
  actor?: Actor,
): Promise<ApiView> {
  return prisma.$transaction(async (tx) => {
    const before = await readApi(tx, apiId);
    if (patch.pathPrefix !== undefined) await ensurePrefixFree(tx, patch.pathPrefix, apiId);
    const { jwt, ...columns } = patch;
    await tx.api.update({
      where: { id: apiId },
      data: { ...columns, ...(jwt === undefined ? {} : { jwt: jwtColumn(jwt) }) },
    });
    const after = await readApi(tx, apiId);
    await appendAudit(tx, actor, { action: 'api.update', entityType: 'api', entityId: apiId, before, after });
    return after;
  });
}

/**
 * Issues a new ingest token for an API, replacing the previous one at once. Only its SHA-256 is
 * stored; the returned token is the only copy.
 */
export async function issueIngestToken(
  prisma: PrismaClient,
  apiId: string,
  actor?: Actor,
): Promise<IssuedIngestToken> {
  const generated = generateApiKey(ingestTokenPrefix);
  return prisma.$transaction(async (tx) => {
    const before = await readApi(tx, apiId);
    const updated = await tx.api.update({
      where: { id: apiId },
      data: { ingestTokenHash: generated.hash },
      select: { updatedAt: true },
    });
    await appendAudit(tx, actor, {
      action: 'api.issue_ingest_token',
      entityType: 'api',
      entityId: apiId,
      before: { hasIngestToken: before.hasIngestToken },
      after: { hasIngestToken: true, prefix: generated.displayPrefix },
    });
    return {
      apiId,
      token: generated.secret,
      prefix: generated.displayPrefix,
      createdAt: updated.updatedAt.toISOString(),
    };
  });
}

/**
 * The API an ingest token belongs to, or null. The lookup is by the token's SHA-256 through a
 * unique index, so the secret is never compared byte by byte.
 */
export async function findApiByIngestToken(prisma: PrismaClient, token: string): Promise<ApiView | null> {
  if (!token.startsWith(ingestTokenPrefix) || token.length > 200) return null;
  const api = await prisma.api.findUnique({
    where: { ingestTokenHash: hashApiKey(token) },
    include: { routes: routesInOrder },
  });
  return api ? apiView(api) : null;
}

/** Deletes an API and its routes. */
export async function deleteApi(prisma: PrismaClient, apiId: string, actor?: Actor): Promise<ApiView> {
  return prisma.$transaction(async (tx) => {
    const before = await readApi(tx, apiId);
    await tx.api.delete({ where: { id: apiId } });
    await appendAudit(tx, actor, { action: 'api.delete', entityType: 'api', entityId: apiId, before });
    return before;
  });
}

export async function listRoutes(prisma: PrismaClient, apiId: string): Promise<RouteView[]> {
  return (await getApi(prisma, apiId)).routes;
}

async function readRoute(db: Db, apiId: string, routeId: string): Promise<Route> {
  const route = await db.route.findUnique({ where: { id: routeId } });
  // A route addressed through another API is not found: the path names both.
  if (!route || route.apiId !== apiId) throw new NotFoundError('Route', routeId);
  return route;
}

export async function getRoute(prisma: PrismaClient, apiId: string, routeId: string): Promise<RouteView> {
  return routeView(await prisma.$transaction((tx) => readRoute(tx, apiId, routeId)));
}

export async function createRoute(
  prisma: PrismaClient,
  apiId: string,
  input: RouteCreate,
  actor?: Actor,
): Promise<RouteView> {
  return prisma.$transaction(async (tx) => {
    await readApi(tx, apiId);
    await ensureRouteFree(tx, apiId, input.method, input.pathTemplate);
    const route = await tx.route.create({ data: { id: prefixedId('rte'), apiId, ...input } });
    const view = routeView(route);
    await appendAudit(tx, actor, {
      action: 'route.create',
      entityType: 'route',
      entityId: route.id,
      after: view,
    });
    return view;
  });
}

export async function patchRoute(
  prisma: PrismaClient,
  apiId: string,
  routeId: string,
  patch: RoutePatch,
  actor?: Actor,
): Promise<RouteView> {
  return prisma.$transaction(async (tx) => {
    const before = await readRoute(tx, apiId, routeId);
    await ensureRouteFree(
      tx,
      apiId,
      patch.method ?? before.method,
      patch.pathTemplate ?? before.pathTemplate,
      routeId,
    );
    const after = routeView(await tx.route.update({ where: { id: routeId }, data: patch }));
    await appendAudit(tx, actor, {
      action: 'route.update',
      entityType: 'route',
      entityId: routeId,
      before: routeView(before),
      after,
    });
    return after;
  });
}

export async function deleteRoute(
  prisma: PrismaClient,
  apiId: string,
  routeId: string,
  actor?: Actor,
): Promise<RouteView> {
  return prisma.$transaction(async (tx) => {
    const before = routeView(await readRoute(tx, apiId, routeId));
    await tx.route.delete({ where: { id: routeId } });
    await appendAudit(tx, actor, { action: 'route.delete', entityType: 'route', entityId: routeId, before });
    return before;
  });
}
