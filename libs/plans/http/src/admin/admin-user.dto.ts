import { ApiProperty } from '@nestjs/swagger';
import { type AdminSession, type AdminUserView } from '@tollgate/plans-data';
import { adminRoles } from '@tollgate/plans-domain';

export class AdminUserDto implements AdminUserView {
  @ApiProperty({ example: 'adm_…' }) id!: string;
  @ApiProperty() email!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: adminRoles }) role!: AdminUserView['role'];
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) disabledAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class AdminSessionDto implements AdminSession {
  @ApiProperty({ example: 'tg_adm_…', description: 'Bearer token for the admin API' }) token!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ enum: adminRoles }) role!: AdminSession['role'];
}

class AdminSessionUserDto {
  @ApiProperty({ example: 'adm_…' }) id!: string;
  @ApiProperty() email!: string;
  @ApiProperty() name!: string;
}

/** Who is signed in, as `GET /api/admin/session` and the token exchange answer it (never a token). */
export class AdminSessionStateDto {
  @ApiProperty({
    enum: ['user', 'bootstrap'],
    description: 'An admin user, or the bootstrap admin token (directly or through its session)',
  })
  kind!: 'user' | 'bootstrap';
  @ApiProperty({ enum: adminRoles }) role!: AdminSession['role'];
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the session ends; null for the bootstrap token itself',
  })
  expiresAt!: string | null;
  @ApiProperty({
    type: AdminSessionUserDto,
    nullable: true,
    description: 'The admin user; null for the bootstrap token',
  })
  user!: AdminSessionUserDto | null;
  @ApiProperty({ enum: ['bearer', 'cookie'], description: 'How this request was authenticated' })
  authenticatedBy!: 'bearer' | 'cookie';
}
