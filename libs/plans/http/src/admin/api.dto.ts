import { ApiProperty } from '@nestjs/swagger';
import { type ApiView, type IssuedIngestToken, type RouteView } from '@tollgate/plans-data';
import { type ApiJwt, jwtAlgorithms } from '@tollgate/plans-domain';

export class RouteDto implements RouteView {
  @ApiProperty({ example: 'rte_…' }) id!: string;
  @ApiProperty() apiId!: string;
  @ApiProperty({ example: 'GET' }) method!: string;
  @ApiProperty({ example: '/v1/orders/:id' }) pathTemplate!: string;
  @ApiProperty({ example: 'GET /v1/orders/:id', description: 'The metered endpoint name' }) endpoint!: string;
  @ApiProperty({ example: 1, description: 'Quota units one call costs' }) costWeight!: number;
}

export class ApiJwtDto implements ApiJwt {
  @ApiProperty({ example: 'https://auth.example.com/.well-known/jwks.json' }) jwksUrl!: string;
  @ApiProperty({ example: 'https://auth.example.com/', description: 'Must equal the `iss` claim' })
  issuer!: string;
  @ApiProperty({ example: 'https://api.example.com', description: 'Must be, or be in, the `aud` claim' })
  audience!: string;
  @ApiProperty({ example: 'sub', description: "The claim holding the consumer's externalId" })
  consumerClaim!: string;
  @ApiProperty({ enum: jwtAlgorithms, isArray: true, example: ['RS256', 'ES256'] })
  algorithms!: ApiJwt['algorithms'];
  @ApiProperty({ example: 30, description: 'Leeway for exp, nbf and iat, in seconds' })
  clockToleranceSeconds!: number;
}

export class ApiDto implements ApiView {
  @ApiProperty({ example: 'api_…' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: '/orders' }) pathPrefix!: string;
  @ApiProperty({ example: 'https://orders.internal:8443' }) upstreamUrl!: string;
  @ApiProperty({ description: 'Remove the prefix before forwarding' }) stripPrefix!: boolean;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'api_key',
    description: 'A query parameter that may carry the API key; null: headers only',
  })
  keyInQuery!: string | null;
  @ApiProperty({ type: ApiJwtDto, nullable: true, description: 'JWT bearer authentication; null: off' })
  jwt!: ApiJwtDto | null;
  @ApiProperty({ description: 'Whether an ingest token has been issued' }) hasIngestToken!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ type: [RouteDto] }) routes!: RouteDto[];
}

/** The only response that carries an ingest token. */
export class IssuedIngestTokenDto implements IssuedIngestToken {
  @ApiProperty() apiId!: string;
  @ApiProperty({ example: 'tgi_…', description: 'The secret: shown once, store it now' }) token!: string;
  @ApiProperty({ example: 'tgi_ab12' }) prefix!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}
