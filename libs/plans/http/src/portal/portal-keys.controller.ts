import { Body, Controller, Delete, Get, Inject, Param, Post, UseFilters, UseGuards } from '@nestjs/common';
import {
  ApiBody,
  ApiConflictResponse,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { type ApiKeyView, type CreatedApiKey, type RotatedApiKey } from '@tollgate/plans-data';
import {
  createDeveloperKey,
  createPortalKeyInputSchema,
  listDeveloperKeys,
  revokeDeveloperKey,
  rotateDeveloperKey,
} from '@tollgate/plans-portal';
import { type Developer } from '@tollgate/relational';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { validateBody } from '../zod-validation';
import {
  CreatePortalKeyBodyDto,
  PortalApiKeyDto,
  PortalCreatedKeyDto,
  PortalRotatedKeyDto,
} from './portal.dto';
import { CurrentDeveloper, PortalGuard } from './portal.guard';
import { PortalProblemFilter } from './portal-problem.filter';

/** The developer's own API keys; another developer's key id is always 404. */
@ApiTags('portal')
@ApiCookieAuth('tg_session')
@Controller('api/portal/keys')
@UseGuards(PortalGuard)
@UseFilters(PortalProblemFilter)
@ApiUnauthorizedResponse({ description: 'No valid tg_session cookie' })
export class PortalKeysController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  @Get()
  @ApiOperation({ summary: 'Your API keys, newest first, without secrets' })
  @ApiOkResponse({ type: [PortalApiKeyDto] })
  list(@CurrentDeveloper() developer: Developer): Promise<ApiKeyView[]> {
    return listDeveloperKeys(this.deps.prisma, developer);
  }

  @Post()
  @ApiOperation({ summary: 'Create an API key; the secret is in this response only' })
  @ApiBody({ type: CreatePortalKeyBodyDto, required: false })
  @ApiCreatedResponse({ type: PortalCreatedKeyDto })
  @ApiConflictResponse({ description: 'Too many active keys' })
  async create(@CurrentDeveloper() developer: Developer, @Body() body: unknown): Promise<CreatedApiKey> {
    const created = await createDeveloperKey(
      this.deps.prisma,
      developer,
      validateBody(createPortalKeyInputSchema, body),
    );
    await this.deps.snapshots.refresh();
    return created;
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke one of your keys at once' })
  @ApiOkResponse({ type: PortalApiKeyDto })
  @ApiNotFoundResponse({ description: 'No such key among yours' })
  async revoke(@CurrentDeveloper() developer: Developer, @Param('id') id: string): Promise<ApiKeyView> {
    const revoked = await revokeDeveloperKey(this.deps.prisma, developer, id);
    await this.deps.snapshots.refresh();
    return revoked;
  }

  @Post(':id/rotate')
  @ApiOperation({ summary: 'Replace a key with a new secret; the old one keeps working for 24 h' })
  @ApiCreatedResponse({ type: PortalRotatedKeyDto })
  @ApiNotFoundResponse({ description: 'No such key among yours' })
  @ApiConflictResponse({ description: 'The key is revoked, expired or already rotated' })
  async rotate(@CurrentDeveloper() developer: Developer, @Param('id') id: string): Promise<RotatedApiKey> {
    const rotated = await rotateDeveloperKey(this.deps.prisma, developer, id);
    await this.deps.snapshots.refresh();
    return rotated;
  }
}
