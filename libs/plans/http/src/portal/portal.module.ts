import { type DynamicModule, Module } from '@nestjs/common';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { PortalAccountController } from './portal-account.controller';
import { PortalAlertsController } from './portal-alerts.controller';
import { PortalBillingController } from './portal-billing.controller';
import { portalContextProvider } from './portal-context.provider';
import { PortalKeysController } from './portal-keys.controller';
import { PortalPlansController } from './portal-plans.controller';
import { PortalSelfController } from './portal-self.controller';
import { PortalWebhooksController } from './portal-webhooks.controller';
import { PortalGuard } from './portal.guard';

/** The developer portal API under /api/portal (see docs/portal-api.md). */
@Module({})
export class PortalModule {
  static forRoot(deps: PlansHttpDependencies): DynamicModule {
    return {
      module: PortalModule,
      controllers: [
        PortalAccountController,
        PortalSelfController,
        PortalKeysController,
        PortalPlansController,
        PortalAlertsController,
        PortalWebhooksController,
        PortalBillingController,
      ],
      providers: [{ provide: PLANS_DEPENDENCIES, useValue: deps }, portalContextProvider, PortalGuard],
    };
  }
}
