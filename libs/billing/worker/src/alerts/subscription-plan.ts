export { subscriptionPlanDefinition } from '@tollgate/plans-data';
