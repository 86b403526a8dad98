import { Controller, Get, Inject, Param, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { quotaFigures, type UsageSummary } from '@tollgate/metering-domain';
import { consumerUsageContext } from '@tollgate/plans-data';
import { AdminGuard } from './admin.guard';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from './plans-http.tokens';
import { UsageSummaryDto } from './usage-summary.dto';

@ApiTags('usage')
@ApiBearerAuth()
@Controller('api/admin/consumers')
@UseGuards(AdminGuard)
export class ConsumerUsageController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  @Get(':id/usage')
  @ApiOperation({ summary: "A consumer's usage in its current billing period" })
  @ApiOkResponse({ type: UsageSummaryDto })
  async usage(@Param('id') consumerId: string): Promise<UsageSummary> {
    const context = await consumerUsageContext(this.deps.prisma, consumerId);
    const usage = await this.deps.usage.periodUsage(consumerId, context.period.start, context.period.end);
    return {
      consumerId,
      periodStart: new Date(context.period.start).toISOString(),
      periodEnd: new Date(context.period.end).toISOString(),
      requests: usage.requests,
      totalRequests: usage.totalRequests,
      units: usage.units,
      quota: quotaFigures(context.quotaLimit, usage.requests),
    };
  }
}
