import { Controller, Get, Inject, Param, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type UsageSummary } from '@tollgate/metering-domain';
import { consumerUsageSummary } from '@tollgate/plans-data';
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
    return consumerUsageSummary(this.deps.prisma, this.deps.usage, consumerId);
  }
}
