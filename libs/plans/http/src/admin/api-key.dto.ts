import { ApiProperty } from '@nestjs/swagger';
import { type ApiKeyView, type CreatedApiKey, type RotatedApiKey } from '@tollgate/plans-data';

/** A key as listed: never its secret. */
export class ApiKeyDto implements ApiKeyView {
  @ApiProperty({ example: 'key_…' }) id!: string;
  @ApiProperty() consumerId!: string;
  @ApiProperty({ example: 'tg_live_ab12', description: 'The first characters of the key, to recognise it' })
  prefix!: string;
  @ApiProperty({ example: 'default' }) name!: string;
  @ApiProperty({ type: [String] }) scopes!: string[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiresAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revokedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Set when rotated: the replacement key' })
  replacedById!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

/** The only response that carries the secret. */
export class CreatedApiKeyDto implements CreatedApiKey {
  @ApiProperty() id!: string;
  @ApiProperty() consumerId!: string;
  @ApiProperty({ example: 'tg_live_…', description: 'The secret: shown once, store it now' }) key!: string;
  @ApiProperty({ example: 'tg_live_ab12' }) prefix!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: [String] }) scopes!: string[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiresAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class RotatedApiKeyDto extends CreatedApiKeyDto implements RotatedApiKey {
  @ApiProperty() previousKeyId!: string;
  @ApiProperty({ format: 'date-time', description: 'The old key works until then' })
  previousKeyExpiresAt!: string;
}
