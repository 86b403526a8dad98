import { type DynamicModule, Module } from '@nestjs/common';
import { OpsModule } from '@tollgate/observability';
import { AdminModule } from './admin/admin.module';
import { AdminGuard, GatewayGuard } from './admin.guard';
import { BillingModule } from './billing/billing.module';
import { ConsumerUsageController } from './consumer-usage.controller';
import { GatewaySnapshotController } from './gateway-snapshot.controller';
import { IngestModule } from './ingest/ingest.module';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from './plans-http.tokens';
import { PortalModule } from './portal/portal.module';

@Module({})
export class PlansHttpModule {
  static forRoot(deps: PlansHttpDependencies): DynamicModule {
    return {
      module: PlansHttpModule,
      imports: [
        OpsModule.forRoot({ registry: deps.registry, checks: deps.readiness }),
        AdminModule.forRoot(deps),
        PortalModule.forRoot(deps),
        IngestModule.forRoot(deps),
        BillingModule.forRoot(deps),
      ],
      controllers: [GatewaySnapshotController, ConsumerUsageController],
      providers: [{ provide: PLANS_DEPENDENCIES, useValue: deps }, AdminGuard, GatewayGuard],
    };
  }
}
