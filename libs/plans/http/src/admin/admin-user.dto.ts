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
