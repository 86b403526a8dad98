import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import {
  type Actor,
  type ApiKeyView,
  createApiKey,
  type CreatedApiKey,
  listApiKeys,
  revokeApiKey,
  rotateApiKey,
  type RotatedApiKey,
} from '@tollgate/plans-data';
import {
  type ApiKeyCreate,
  apiKeyCreateSchema,
  type ApiKeyRotate,
  apiKeyRotateSchema,
} from '@tollgate/plans-domain';
import { AdminActor } from '../admin.guard';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { ZodApiBody, ZodValidationPipe } from '../zod-validation';
import { AdminController } from './admin-endpoint.decorator';
import { ApiKeyDto, CreatedApiKeyDto, RotatedApiKeyDto } from './api-key.dto';

@AdminController('api keys')
@Controller('api/admin')
export class ApiKeysController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  @Post('consumers/:id/keys')
  @ApiOperation({
    summary: 'Create an API key for a consumer',
    description: 'The response is the only time the secret (`key`) is shown; only its SHA-256 is stored.',
  })
  @ZodApiBody(apiKeyCreateSchema, { required: false })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  async create(
    @Param('id') consumerId: string,
    @Body(new ZodValidationPipe(apiKeyCreateSchema)) body: ApiKeyCreate,
    @AdminActor() actor: Actor,
  ): Promise<CreatedApiKey> {
    const key = await createApiKey(this.deps.prisma, { consumerId, ...body }, actor);
    await this.deps.snapshots.refresh();
    return key;
  }

  @Get('consumers/:id/keys')
  @ApiOperation({ summary: "A consumer's keys, newest first, without secrets" })
  @ApiOkResponse({ type: [ApiKeyDto] })
  list(@Param('id') consumerId: string): Promise<ApiKeyView[]> {
    return listApiKeys(this.deps.prisma, consumerId);
  }

  @Delete('keys/:id')
  @ApiOperation({
    summary: 'Revoke a key',
    description: 'Gateways refuse it as soon as they get the new snapshot.',
  })
  @ApiOkResponse({ type: ApiKeyDto })
  async revoke(@Param('id') keyId: string, @AdminActor() actor: Actor): Promise<ApiKeyView> {
    const key = await revokeApiKey(this.deps.prisma, keyId, {}, actor);
    await this.deps.snapshots.refresh();
    return key;
  }

  @Post('keys/:id/rotate')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Rotate a key',
    description:
      'Creates a replacement with the same name, scopes and expiry; the old key keeps working for overlapSeconds (default 86400), then expires.',
  })
  @ZodApiBody(apiKeyRotateSchema, { required: false })
  @ApiCreatedResponse({ type: RotatedApiKeyDto })
  async rotate(
    @Param('id') keyId: string,
    @Body(new ZodValidationPipe(apiKeyRotateSchema)) body: ApiKeyRotate,
    @AdminActor() actor: Actor,
  ): Promise<RotatedApiKey> {
    const key = await rotateApiKey(this.deps.prisma, keyId, { overlapSeconds: body.overlapSeconds }, actor);
    await this.deps.snapshots.refresh();
    return key;
  }
}
