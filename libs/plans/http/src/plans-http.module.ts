import { type DynamicModule, Module } from '@nestjs/common';
import { OpsModule } from '@tollgate/observability';
import { AdminGuard, GatewayGuard } from './admin.guard';
import { ConsumerUsageController } from './consumer-usage.controller';
import { GatewaySnapshotController } from './gateway-snapshot.controller';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from './plans-http.tokens';

@Module({})
export class PlansHttpModule {
  static forRoot(deps: PlansHttpDependencies): DynamicModule {
    return {
      module: PlansHttpModule,
      imports: [OpsModule.forRoot({ registry: deps.registry, checks: deps.readiness })],
      controllers: [GatewaySnapshotController, ConsumerUsageController],
      providers: [{ provide: PLANS_DEPENDENCIES, useValue: deps }, AdminGuard, GatewayGuard],
    };
  }
}
