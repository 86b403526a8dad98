import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import {
  type Actor,
  type ApiView,
  createApi,
  createRoute,
  deleteApi,
  deleteRoute,
  getApi,
  getRoute,
  issueIngestToken,
  type IssuedIngestToken,
  listApis,
  listRoutes,
  patchApi,
  patchRoute,
  type RouteView,
} from '@tollgate/plans-data';
import {
  type ApiCreate,
  apiCreateSchema,
  type ApiPatch,
  apiPatchSchema,
  type RouteCreate,
  routeCreateSchema,
  type RoutePatch,
  routePatchSchema,
} from '@tollgate/plans-domain';
import { AdminActor } from '../admin.guard';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { ZodApiBody, ZodValidationPipe } from '../zod-validation';
import { AdminController } from './admin-endpoint.decorator';
import { ApiDto, IssuedIngestTokenDto, RouteDto } from './api.dto';

/** Upstream APIs and their metered routes; every write is pushed to the gateways. */
@AdminController('apis')
@Controller('api/admin/apis')
export class ApisController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  @Post()
  @ApiOperation({
    summary: 'Register an upstream API under a path prefix',
    description: 'The prefix is unique (409).',
  })
  @ZodApiBody(apiCreateSchema)
  @ApiCreatedResponse({ type: ApiDto })
  async create(
    @Body(new ZodValidationPipe(apiCreateSchema)) body: ApiCreate,
    @AdminActor() actor: Actor,
  ): Promise<ApiView> {
    const api = await createApi(this.deps.prisma, body, actor);
    await this.deps.snapshots.refresh();
    return api;
  }

  @Get()
  @ApiOperation({ summary: 'List APIs with their routes' })
  @ApiOkResponse({ type: [ApiDto] })
  list(): Promise<ApiView[]> {
    return listApis(this.deps.prisma);
  }

  @Get(':id')
  @ApiOperation({ summary: 'An API with its routes' })
  @ApiOkResponse({ type: ApiDto })
  get(@Param('id') id: string): Promise<ApiView> {
    return getApi(this.deps.prisma, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Edit an API' })
  @ZodApiBody(apiPatchSchema)
  @ApiOkResponse({ type: ApiDto })
  async patch(
    @Param('id') id: string,
    @Body(new ZodValidationPipe(apiPatchSchema)) body: ApiPatch,
    @AdminActor() actor: Actor,
  ): Promise<ApiView> {
    const api = await patchApi(this.deps.prisma, id, body, actor);
    await this.deps.snapshots.refresh();
    return api;
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete an API and its routes', description: 'Returns what was deleted.' })
  @ApiOkResponse({ type: ApiDto })
  async delete(@Param('id') id: string, @AdminActor() actor: Actor): Promise<ApiView> {
    const api = await deleteApi(this.deps.prisma, id, actor);
    await this.deps.snapshots.refresh();
    return api;
  }

  @Post(':id/ingest-token')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Issue an ingest token for business events',
    description:
      'Generates a new token (`tgi_…`) that authenticates business-event ingestion for this API and replaces the previous one at once. The response is the only time the token is shown; only its SHA-256 is stored.',
  })
  @ApiCreatedResponse({ type: IssuedIngestTokenDto })
  issueIngestToken(@Param('id') id: string, @AdminActor() actor: Actor): Promise<IssuedIngestToken> {
    // Not part of the gateway snapshot: nothing to push.
    return issueIngestToken(this.deps.prisma, id, actor);
  }

  @Post(':id/routes')
  @ApiOperation({
    summary: 'Add a route',
    description:
      'Method + path template (relative to the prefix) name the metered endpoint; unique per API (409).',
  })
  @ZodApiBody(routeCreateSchema)
  @ApiCreatedResponse({ type: RouteDto })
  async createRoute(
    @Param('id') apiId: string,
    @Body(new ZodValidationPipe(routeCreateSchema)) body: RouteCreate,
    @AdminActor() actor: Actor,
  ): Promise<RouteView> {
    const route = await createRoute(this.deps.prisma, apiId, body, actor);
    await this.deps.snapshots.refresh();
    return route;
  }

  @Get(':id/routes')
  @ApiOperation({ summary: "An API's routes" })
  @ApiOkResponse({ type: [RouteDto] })
  listRoutes(@Param('id') apiId: string): Promise<RouteView[]> {
    return listRoutes(this.deps.prisma, apiId);
  }

  @Get(':id/routes/:routeId')
  @ApiOperation({ summary: 'A route' })
  @ApiOkResponse({ type: RouteDto })
  getRoute(@Param('id') apiId: string, @Param('routeId') routeId: string): Promise<RouteView> {
    return getRoute(this.deps.prisma, apiId, routeId);
  }

  @Patch(':id/routes/:routeId')
  @ApiOperation({ summary: 'Edit a route' })
  @ZodApiBody(routePatchSchema)
  @ApiOkResponse({ type: RouteDto })
  async patchRoute(
    @Param('id') apiId: string,
    @Param('routeId') routeId: string,
    @Body(new ZodValidationPipe(routePatchSchema)) body: RoutePatch,
    @AdminActor() actor: Actor,
  ): Promise<RouteView> {
    const route = await patchRoute(this.deps.prisma, apiId, routeId, body, actor);
    await this.deps.snapshots.refresh();
    return route;
  }

  @Delete(':id/routes/:routeId')
  @ApiOperation({ summary: 'Delete a route', description: 'Returns what was deleted.' })
  @ApiOkResponse({ type: RouteDto })
  async deleteRoute(
    @Param('id') apiId: string,
    @Param('routeId') routeId: string,
    @AdminActor() actor: Actor,
  ): Promise<RouteView> {
    const route = await deleteRoute(this.deps.prisma, apiId, routeId, actor);
    await this.deps.snapshots.refresh();
    return route;
  }
}
