import { Body, Controller, Get, Inject, Param, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import {
  type Actor,
  type AdminUserView,
  createAdminUser,
  getAdminUser,
  listAdminUsers,
  patchAdminUser,
} from '@tollgate/plans-data';
import {
  type AdminUserCreate,
  adminUserCreateSchema,
  type AdminUserPatch,
  adminUserPatchSchema,
} from '@tollgate/plans-domain';
import { AdminActor } from '../admin.guard';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { ZodApiBody, ZodValidationPipe } from '../zod-validation';
import { AdminController } from './admin-endpoint.decorator';
import { RequireAdminRole } from './admin-role.decorator';
import { AdminUserDto } from './admin-user.dto';

/** The provider's team. Only owners manage it, reads included. */
@AdminController('admin users')
@Controller('api/admin/admin-users')
@RequireAdminRole('owner')
export class AdminUsersController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  @Post()
  @ApiOperation({
    summary: 'Create an admin user (owner only)',
    description: 'The password is stored as a scrypt hash.',
  })
  @ZodApiBody(adminUserCreateSchema)
  @ApiCreatedResponse({ type: AdminUserDto })
  create(
    @Body(new ZodValidationPipe(adminUserCreateSchema)) body: AdminUserCreate,
    @AdminActor() actor: Actor,
  ): Promise<AdminUserView> {
    return createAdminUser(this.deps.prisma, body, actor);
  }

  @Get()
  @ApiOperation({ summary: 'List admin users (owner only)' })
  @ApiOkResponse({ type: [AdminUserDto] })
  list(): Promise<AdminUserView[]> {
    return listAdminUsers(this.deps.prisma);
  }

  @Get(':id')
  @ApiOperation({ summary: 'An admin user (owner only)' })
  @ApiOkResponse({ type: AdminUserDto })
  get(@Param('id') id: string): Promise<AdminUserView> {
    return getAdminUser(this.deps.prisma, id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change role, name, password or disable (owner only)',
    description:
      'Disabling, a new password or a new role ends the user sessions. The last active owner stays.',
  })
  @ZodApiBody(adminUserPatchSchema)
  @ApiOkResponse({ type: AdminUserDto })
  patch(
    @Param('id') id: string,
    @Body(new ZodValidationPipe(adminUserPatchSchema)) body: AdminUserPatch,
    @AdminActor() actor: Actor,
  ): Promise<AdminUserView> {
    return patchAdminUser(this.deps.prisma, id, body, actor);
  }
}
