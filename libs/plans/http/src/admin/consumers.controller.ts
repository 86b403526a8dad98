import { Body, Controller, Get, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiQuery } from '@nestjs/swagger';
import {
  type Actor,
  type ConsumerDetailView,
  type ConsumerPage,
  createConsumer,
  getConsumer,
  listConsumers,
  patchConsumer,
} from '@tollgate/plans-data';
import {
  type ConsumerCreate,
  consumerCreateSchema,
  consumerListQuerySchema,
  type ConsumerPatch,
  consumerPatchSchema,
} from '@tollgate/plans-domain';
import { AdminActor } from '../admin.guard';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { validateBody, ZodApiBody, ZodValidationPipe } from '../zod-validation';
import { AdminController } from './admin-endpoint.decorator';
import { ConsumerDetailDto, ConsumerPageDto } from './consumer.dto';

@AdminController('consumers')
@Controller('api/admin/consumers')
export class ConsumersController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  @Post()
  @ApiOperation({
    summary: 'Create a consumer and its subscription',
    description:
      'The subscription is trialing when the plan has trial days, else active; its billing period is anchored now in the consumer time zone (default UTC). A webhookUrl gets a generated whsec_ signing secret.',
  })
  @ZodApiBody(consumerCreateSchema)
  @ApiCreatedResponse({ type: ConsumerDetailDto })
  async create(
    @Body(new ZodValidationPipe(consumerCreateSchema)) body: ConsumerCreate,
    @AdminActor() actor: Actor,
  ): Promise<ConsumerDetailView> {
    const consumer = await createConsumer(this.deps.prisma, body, actor);
    await this.deps.snapshots.refresh();
    return consumer;
  }

  @Get()
  @ApiOperation({ summary: 'List consumers, newest first' })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: '1–200, default 50' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiQuery({ name: 'status', required: false, enum: ['active', 'suspended'] })
  @ApiQuery({ name: 'planId', required: false, description: 'Live subscription on this plan' })
  @ApiQuery({ name: 'search', required: false, description: 'Substring of the name or email' })
  @ApiOkResponse({ type: ConsumerPageDto })
  list(@Query() query: Record<string, unknown>): Promise<ConsumerPage> {
    return listConsumers(this.deps.prisma, validateBody(consumerListQuerySchema, query));
  }

  @Get(':id')
  @ApiOperation({ summary: 'A consumer with its live subscription' })
  @ApiOkResponse({ type: ConsumerDetailDto })
  get(@Param('id') id: string): Promise<ConsumerDetailView> {
    return getConsumer(this.deps.prisma, id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Edit a consumer: contacts, status (suspend/resume), plan change',
    description:
      'planId/planVersion with effectiveAt absent or past: the old subscription is canceled and a new one starts on the same billing anchor (a version-only move updates it in place). A future effectiveAt schedules the change.',
  })
  @ZodApiBody(consumerPatchSchema)
  @ApiOkResponse({ type: ConsumerDetailDto })
  async patch(
    @Param('id') id: string,
    @Body(new ZodValidationPipe(consumerPatchSchema)) body: ConsumerPatch,
    @AdminActor() actor: Actor,
  ): Promise<ConsumerDetailView> {
    const consumer = await patchConsumer(this.deps.prisma, id, body, actor);
    await this.deps.snapshots.refresh();
    return consumer;
  }
}
