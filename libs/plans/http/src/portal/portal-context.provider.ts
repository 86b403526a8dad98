import { type Provider } from '@nestjs/common';
import { prepareDummyPassword } from '@tollgate/plans-data';
import { PortalAbuseLimiter, type PortalContext } from '@tollgate/plans-portal';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';

export const PORTAL_CONTEXT = Symbol('PORTAL_CONTEXT');

/** The portal use cases' context, built once from the control plane's dependencies. */
export const portalContextProvider: Provider = {
  provide: PORTAL_CONTEXT,
  inject: [PLANS_DEPENDENCIES],
  useFactory: (deps: PlansHttpDependencies): PortalContext => {
    prepareDummyPassword();
    return {
      prisma: deps.prisma,
      mailer: deps.mailer,
      publicUrl: deps.publicUrl,
      signingSecret: deps.signingSecret,
      limiter: new PortalAbuseLimiter(deps.counters),
    };
  },
};

/** Secure cookies when developers reach the control plane over https. */
export function usesHttps(deps: PlansHttpDependencies, protocol: string): boolean {
  return protocol === 'https' || (typeof deps.publicUrl === 'string' && deps.publicUrl.startsWith('https:'));
}
