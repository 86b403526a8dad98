import { ApiProperty } from '@nestjs/swagger';
import { type ConsumerGroupView } from '@tollgate/plans-data';

export class ConsumerGroupDto implements ConsumerGroupView {
  @ApiProperty({ example: 'cgrp_…' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() planId!: string;
  @ApiProperty({ description: 'Consumers in the group' }) consumers!: number;
}
