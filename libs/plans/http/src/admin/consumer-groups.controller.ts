import { Body, Controller, Delete, Get, Inject, Param, Patch, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import {
  type Actor,
  type ConsumerGroupView,
  createConsumerGroup,
  deleteConsumerGroup,
  getConsumerGroup,
  listConsumerGroups,
  patchConsumerGroup,
} from '@tollgate/plans-data';
import {
  type ConsumerGroupCreate,
  consumerGroupCreateSchema,
  type ConsumerGroupPatch,
  consumerGroupPatchSchema,
} from '@tollgate/plans-domain';
import { AdminActor } from '../admin.guard';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { ZodApiBody, ZodValidationPipe } from '../zod-validation';
import { AdminController } from './admin-endpoint.decorator';
import { ConsumerGroupDto } from './consumer-group.dto';
import { problemResponse } from './problem.dto';

/** One group per plan (APISIX style); a plan's group is created with the plan. */
@AdminController('consumer groups')
@Controller('api/admin/consumer-groups')
export class ConsumerGroupsController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  @Post()
  @ApiOperation({ summary: 'Create the group of a plan that has none' })
  @ZodApiBody(consumerGroupCreateSchema)
  @ApiCreatedResponse({ type: ConsumerGroupDto })
  @ApiConflictResponse(problemResponse('The plan already has a group'))
  async create(
    @Body(new ZodValidationPipe(consumerGroupCreateSchema)) body: ConsumerGroupCreate,
    @AdminActor() actor: Actor,
  ): Promise<ConsumerGroupView> {
    const group = await createConsumerGroup(this.deps.prisma, body, actor);
    await this.deps.snapshots.refresh();
    return group;
  }

  @Get()
  @ApiOperation({ summary: 'List consumer groups' })
  @ApiOkResponse({ type: [ConsumerGroupDto] })
  list(): Promise<ConsumerGroupView[]> {
    return listConsumerGroups(this.deps.prisma);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A consumer group' })
  @ApiOkResponse({ type: ConsumerGroupDto })
  get(@Param('id') id: string): Promise<ConsumerGroupView> {
    return getConsumerGroup(this.deps.prisma, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename a consumer group' })
  @ZodApiBody(consumerGroupPatchSchema)
  @ApiOkResponse({ type: ConsumerGroupDto })
  patch(
    @Param('id') id: string,
    @Body(new ZodValidationPipe(consumerGroupPatchSchema)) body: ConsumerGroupPatch,
    @AdminActor() actor: Actor,
  ): Promise<ConsumerGroupView> {
    return patchConsumerGroup(this.deps.prisma, id, body, actor);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete an empty consumer group', description: 'Returns what was deleted.' })
  @ApiOkResponse({ type: ConsumerGroupDto })
  @ApiConflictResponse(problemResponse('The group still has consumers'))
  async delete(@Param('id') id: string, @AdminActor() actor: Actor): Promise<ConsumerGroupView> {
    const group = await deleteConsumerGroup(this.deps.prisma, id, actor);
    await this.deps.snapshots.refresh();
    return group;
  }
}
