import { type DynamicModule, Module } from '@nestjs/common';
import { AdminGuard } from '../admin.guard';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { AdminSessionController } from './admin-session.controller';
import { AdminUsersController } from './admin-users.controller';
import { AnalyticsController, ReconciliationController } from './analytics.controller';
import { ApiKeysController } from './api-keys.controller';
import { ApisController } from './apis.controller';
import { AuditLogController } from './audit-log.controller';
import { ConsumerBillingController } from './consumer-billing.controller';
import { ConsumerGroupsController } from './consumer-groups.controller';
import { ConsumersController } from './consumers.controller';
import { OutboxController } from './outbox.controller';
import { FailedJobsController } from './failed-jobs.controller';
import { PlansController } from './plans.controller';

/** The admin API under /api/admin. */
@Module({})
export class AdminModule {
  static forRoot(deps: PlansHttpDependencies): DynamicModule {
    return {
      module: AdminModule,
      controllers: [
        PlansController,
        ConsumersController,
        ApiKeysController,
        ApisController,
        ConsumerGroupsController,
        AdminUsersController,
        AuditLogController,
        AdminSessionController,
        AnalyticsController,
        ReconciliationController,
        OutboxController,
        ConsumerBillingController,
        FailedJobsController,
      ],
      providers: [{ provide: PLANS_DEPENDENCIES, useValue: deps }, AdminGuard],
    };
  }
}
