import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from '@tollgate/errors';

class FieldIssueDto {
  @ApiProperty({ example: 'quota.limit', description: 'Dotted path of the invalid field' }) field!: string;
  @ApiProperty({ example: 'Too small: expected number to be >=0' }) message!: string;
}

/** RFC 9457 problem details, served as application/problem+json. */
@ApiExtraModels(FieldIssueDto)
export class ProblemDto {
  @ApiProperty({ example: 'https://tollgate.dev/problems/validation-failed' }) type!: string;
  @ApiProperty({ example: 'Invalid request' }) title!: string;
  @ApiProperty({ example: 400 }) status!: number;
  @ApiProperty() detail!: string;
  @ApiPropertyOptional({ description: 'The request path' }) instance?: string;
  @ApiPropertyOptional({ type: [FieldIssueDto], description: 'On 400: every invalid field' })
  errors?: FieldIssueDto[];
}

/** Response options for an error answered as problem+json: `@ApiConflictResponse(problemResponse('…'))`. */
export function problemResponse(description: string) {
  return {
    description,
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemDto) } } },
  };
}
