import { ApiProperty } from '@nestjs/swagger';
import { type ApiView, type RouteView } from '@tollgate/plans-data';

export class RouteDto implements RouteView {
  @ApiProperty({ example: 'rte_…' }) id!: string;
  @ApiProperty() apiId!: string;
  @ApiProperty({ example: 'GET' }) method!: string;
  @ApiProperty({ example: '/v1/orders/:id' }) pathTemplate!: string;
  @ApiProperty({ example: 'GET /v1/orders/:id', description: 'The metered endpoint name' }) endpoint!: string;
  @ApiProperty({ example: 1, description: 'Quota units one call costs' }) costWeight!: number;
}

export class ApiDto implements ApiView {
  @ApiProperty({ example: 'api_…' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: '/orders' }) pathPrefix!: string;
  @ApiProperty({ example: 'https://orders.internal:8443' }) upstreamUrl!: string;
  @ApiProperty({ description: 'Remove the prefix before forwarding' }) stripPrefix!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ type: [RouteDto] }) routes!: RouteDto[];
}
