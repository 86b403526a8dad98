import { z } from 'zod';
import { emailSchema, limitQuerySchema, nameSchema } from './schema-primitives';

export const adminRoles = ['owner', 'admin', 'viewer'] as const;
export type AdminRoleName = (typeof adminRoles)[number];

/** Long enough to resist guessing; no composition rules (NIST SP 800-63B). */
export const passwordSchema = z.string().min(10, 'Must be at least 10 characters').max(200);

export const adminUserCreateSchema = z.strictObject({
  email: emailSchema,
  name: nameSchema,
  role: z.enum(adminRoles),
  password: passwordSchema,
});

export const adminUserPatchSchema = z.strictObject({
  name: nameSchema.optional(),
  role: z.enum(adminRoles).optional(),
  /** true disables the user and ends its sessions; false enables it again. */
  disabled: z.boolean().optional(),
  password: passwordSchema.optional(),
});

/** `POST /api/admin/session`. */
export const adminLoginSchema = z.strictObject({
  email: emailSchema,
  password: z.string().min(1).max(200),
});

/** `GET /api/admin/audit-log?entityType&entityId&limit&cursor`. */
export const auditLogQuerySchema = z.object({
  entityType: z.string().min(1).max(50).optional(),
  entityId: z.string().min(1).max(100).optional(),
  limit: limitQuerySchema,
  cursor: z.string().min(1).max(100).optional(),
});

/** Whether `role` may do what `required` allows: owner ⊃ admin ⊃ viewer. */
export function roleSatisfies(role: AdminRoleName, required: AdminRoleName): boolean {
  return adminRoles.indexOf(role) <= adminRoles.indexOf(required);
}

export type AdminUserCreate = z.output<typeof adminUserCreateSchema>;
export type AdminUserPatch = z.output<typeof adminUserPatchSchema>;
export type AdminLogin = z.output<typeof adminLoginSchema>;
export type AuditLogQuery = z.output<typeof auditLogQuerySchema>;
