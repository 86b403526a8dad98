import { Controller, Get, HttpCode, Inject, Param, Post, UseFilters, UseGuards } from '@nestjs/common';
import {
  ApiCookieAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { type AlertView, currentConsumerAlerts, dismissConsumerAlert } from '@tollgate/plans-data';
import { developerConsumer } from '@tollgate/plans-portal';
import { type Developer } from '@tollgate/relational';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { PortalAlertDto } from './portal-billing.dto';
import { CurrentDeveloper, PortalGuard } from './portal.guard';
import { PortalProblemFilter } from './portal-problem.filter';

/** The usage and payment alerts the portal shows as a banner. */
@ApiTags('portal')
@ApiCookieAuth('tg_session')
@Controller('api/portal/alerts')
@UseGuards(PortalGuard)
@UseFilters(PortalProblemFilter)
@ApiUnauthorizedResponse({ description: 'No valid tg_session cookie' })
export class PortalAlertsController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  @Get()
  @ApiOperation({ summary: "This billing period's alerts you have not dismissed, newest first" })
  @ApiOkResponse({ type: [PortalAlertDto] })
  async list(@CurrentDeveloper() developer: Developer): Promise<AlertView[]> {
    const consumer = await developerConsumer(this.deps.prisma, developer.id);
    return currentConsumerAlerts(this.deps.prisma, consumer.id);
  }

  @Post(':id/dismiss')
  @HttpCode(200)
  @ApiOperation({ summary: 'Hide an alert from the banner (dismissing it again changes nothing)' })
  @ApiOkResponse({ type: PortalAlertDto })
  @ApiNotFoundResponse({ description: 'No such alert among yours' })
  async dismiss(@CurrentDeveloper() developer: Developer, @Param('id') id: string): Promise<AlertView> {
    const consumer = await developerConsumer(this.deps.prisma, developer.id);
    return dismissConsumerAlert(this.deps.prisma, consumer.id, id);
  }
}
