import { SetMetadata } from '@nestjs/common';
import { type AdminRoleName } from '@tollgate/plans-domain';

export const ADMIN_ROLE = 'tollgate:admin-role';

/**
 * The least role a route needs. Without it the AdminGuard requires `viewer` for GET/HEAD and
 * `admin` for every other method, so a forgotten decorator never opens a write to viewers.
 */
export const RequireAdminRole = (role: AdminRoleName) => SetMetadata(ADMIN_ROLE, role);
