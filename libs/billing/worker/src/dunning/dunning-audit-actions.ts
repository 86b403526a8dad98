/** Audit log actions of dunning's plan changes; their times also say when a downgrade lasted. */
export const dunningAuditActions = {
  downgrade: 'subscription.dunning_downgrade',
  restore: 'subscription.dunning_restore',
} as const;
