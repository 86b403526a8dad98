import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery } from '@nestjs/swagger';
import { type AuditLogPage, listAuditLog } from '@tollgate/plans-data';
import { auditLogQuerySchema } from '@tollgate/plans-domain';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { validateBody } from '../zod-validation';
import { AdminController } from './admin-endpoint.decorator';
import { AuditLogPageDto } from './audit-log.dto';

@AdminController('audit log')
@Controller('api/admin/audit-log')
export class AuditLogController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  @Get()
  @ApiOperation({ summary: 'Every admin write, newest first, with the state before and after' })
  @ApiQuery({ name: 'entityType', required: false, example: 'plan' })
  @ApiQuery({ name: 'entityId', required: false })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: '1–200, default 50' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiOkResponse({ type: AuditLogPageDto })
  list(@Query() query: Record<string, unknown>): Promise<AuditLogPage> {
    return listAuditLog(this.deps.prisma, validateBody(auditLogQuerySchema, query));
  }
}
