import { type PipeTransform } from '@nestjs/common';
import { ApiBody, type ApiBodyOptions } from '@nestjs/swagger';
import { parseInput } from '@tollgate/plans-domain';
import { z } from 'zod';

/**
 * Validates a request body (or query) against a zod schema shared with the web app. Invalid input
 * becomes a ValidationError, which the problem filter answers with 400 and `errors[]` naming each
 * field. Use as `@Body(new ZodValidationPipe(schema)) body: z.output<typeof schema>` or call
 * `validateBody(schema, body)` inside a handler.
 */
export class ZodValidationPipe<Schema extends z.ZodType> implements PipeTransform<unknown, z.output<Schema>> {
  constructor(private readonly schema: Schema) {}

  transform(value: unknown): z.output<Schema> {
    return validateBody(this.schema, value);
  }
}

/** A missing body (no content) is validated as `{}` so required fields are named, not "expected object". */
export function validateBody<Schema extends z.ZodType>(schema: Schema, body: unknown): z.output<Schema> {
  return parseInput(schema, body === undefined || body === null || body === '' ? {} : body);
}

type OpenApiSchema = Extract<ApiBodyOptions, { schema: unknown }>['schema'];

/** The OpenAPI 3.0 schema of what a zod schema accepts (its input side, before defaults). */
export function zodOpenApiSchema(schema: z.ZodType): OpenApiSchema {
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema, {
    io: 'input',
    target: 'openapi-3.0',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return jsonSchema as OpenApiSchema;
}

/**
 * Documents a request body from its zod schema, so the OpenAPI document says exactly what
 * validation enforces, from the one definition.
 */
export function ZodApiBody(
  schema: z.ZodType,
  options: { description?: string; required?: boolean } = {},
): MethodDecorator {
  return ApiBody({
    schema: zodOpenApiSchema(schema),
    required: options.required ?? true,
    description: options.description,
  });
}
