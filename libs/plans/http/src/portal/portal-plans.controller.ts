import { Controller, Get, Inject, UseFilters } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { listPortalPlans, type PortalPlanView } from '@tollgate/plans-portal';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { PortalPlanDto } from './portal.dto';
import { PortalProblemFilter } from './portal-problem.filter';

/** The public pricing list: no sign-in needed. */
@ApiTags('portal')
@Controller('api/portal/plans')
@UseFilters(PortalProblemFilter)
export class PortalPlansController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  @Get()
  @ApiOperation({ summary: 'Public plans: limits, counting policy in plain words, prices' })
  @ApiOkResponse({ type: [PortalPlanDto] })
  list(): Promise<PortalPlanView[]> {
    return listPortalPlans(this.deps.prisma);
  }
}
