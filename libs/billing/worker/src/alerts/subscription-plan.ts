import { type PlanDefinition, planDefinition, storedPlanDefinition } from '@tollgate/plans-domain';
import { type Plan, type PrismaClient } from '@tollgate/relational';

/**
 * The definition a subscription is held to: its pinned plan version (the plan row holds only the
 * latest), so alert thresholds, quota and overage are what the gateway enforces for it.
 */
export async function subscriptionPlanDefinition(
  prisma: PrismaClient,
  subscription: { planId: string; planVersion: number },
  plan: Plan,
): Promise<PlanDefinition> {
  if (subscription.planVersion === plan.version) return planDefinition(plan);
  const version = await prisma.planVersion.findUnique({
    where: { planId_version: { planId: subscription.planId, version: subscription.planVersion } },
  });
  return version ? storedPlanDefinition(version.definition) : planDefinition(plan);
}
