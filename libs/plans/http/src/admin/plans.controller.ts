import { Body, Controller, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiQuery } from '@nestjs/swagger';
import {
  type Actor,
  createPlan,
  getPlan,
  listPlans,
  migrateSubscribers,
  type MigrationResult,
  patchPlan,
  type PlanDetailView,
  type PlanView,
} from '@tollgate/plans-data';
import {
  type MigrateSubscribers,
  migrateSubscribersSchema,
  type PlanCreate,
  planCreateSchema,
  type PlanPatch,
  planPatchSchema,
} from '@tollgate/plans-domain';
import { AdminActor } from '../admin.guard';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { ZodApiBody, ZodValidationPipe } from '../zod-validation';
import { AdminController } from './admin-endpoint.decorator';
import { MigrationResultDto, PlanDetailDto, PlanDto, PlanPatchResultDto } from './plan.dto';

@AdminController('plans')
@Controller('api/admin/plans')
export class PlansController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  @Post()
  @ApiOperation({
    summary: 'Create a plan',
    description:
      'Only name and quota are required. Defaults: alertThresholds [80, 95, 100], countPolicy 4xx counted and 5xx not, no overage (hard block), no prices. Creates version 1 and the plan consumer group.',
  })
  @ZodApiBody(planCreateSchema)
  @ApiCreatedResponse({ type: PlanDetailDto })
  async create(
    @Body(new ZodValidationPipe(planCreateSchema)) body: PlanCreate,
    @AdminActor() actor: Actor,
  ): Promise<PlanDetailView> {
    const plan = await createPlan(this.deps.prisma, body, actor);
    await this.deps.snapshots.refresh();
    return plan;
  }

  @Get()
  @ApiOperation({ summary: 'List plans' })
  @ApiQuery({ name: 'includeArchived', required: false, type: Boolean, description: 'Default true' })
  @ApiOkResponse({ type: [PlanDto] })
  list(@Query('includeArchived') includeArchived?: string): Promise<PlanView[]> {
    return listPlans(this.deps.prisma, { includeArchived: includeArchived !== 'false' });
  }

  @Get(':id')
  @ApiOperation({ summary: 'A plan with its versions and their subscriber counts' })
  @ApiOkResponse({ type: PlanDetailDto })
  get(@Param('id') id: string): Promise<PlanDetailView> {
    return getPlan(this.deps.prisma, id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Edit a plan',
    description:
      'A change to limits, counting or prices while subscribers are on the current version creates a new version (versionCreated: true); they keep theirs until migrated. Otherwise the plan changes in place.',
  })
  @ZodApiBody(planPatchSchema)
  @ApiOkResponse({ type: PlanPatchResultDto })
  async patch(
    @Param('id') id: string,
    @Body(new ZodValidationPipe(planPatchSchema)) body: PlanPatch,
    @AdminActor() actor: Actor,
  ): Promise<PlanDetailView & { versionCreated: boolean }> {
    const plan = await patchPlan(this.deps.prisma, id, body, actor);
    await this.deps.snapshots.refresh();
    return plan;
  }

  @Post(':id/migrate-subscribers')
  @HttpCode(200)
  @ApiOperation({
    summary: "Move a plan's subscribers to one of its versions",
    description:
      'effectiveAt absent or past: now. In the future: recorded as a pending change on each subscription, applied when due.',
  })
  @ZodApiBody(migrateSubscribersSchema)
  @ApiOkResponse({ type: MigrationResultDto })
  async migrate(
    @Param('id') id: string,
    @Body(new ZodValidationPipe(migrateSubscribersSchema)) body: MigrateSubscribers,
    @AdminActor() actor: Actor,
  ): Promise<MigrationResult> {
    const result = await migrateSubscribers(this.deps.prisma, id, body, actor);
    await this.deps.snapshots.refresh();
    return result;
  }
}
