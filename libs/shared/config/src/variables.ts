import { z } from 'zod';

/**
 * Builders for environment variables. Every variable carries a description (used to generate the
 * README's configuration table) and, for secrets, `secret: true` so it is never logged.
 * Empty values are treated as unset before parsing (see parseConfig).
 */
export interface VariableMeta {
  description: string;
  secret?: boolean;
  [key: string]: unknown;
}

export const variable = {
  string: (meta: VariableMeta) => z.string({ error: 'a non-empty string' }).min(1).meta(meta),
  url: (meta: VariableMeta) => z.url({ error: 'a URL such as scheme://host:port' }).meta(meta),
  port: (meta: VariableMeta) =>
    z.coerce
      .number({ error: 'an integer port between 0 and 65535' })
      .int({ error: 'an integer port between 0 and 65535' })
      .min(0, { error: 'an integer port between 0 and 65535' })
      .max(65535, { error: 'an integer port between 0 and 65535' })
      .meta(meta),
  positiveInt: (meta: VariableMeta) =>
    z.coerce
      .number({ error: 'a positive integer' })
      .int({ error: 'a positive integer' })
      .positive({ error: 'a positive integer' })
      .meta(meta),
  boolean: (meta: VariableMeta) =>
    z
      .enum(['true', 'false', '1', '0'], { error: 'true or false' })
      .transform((value) => value === 'true' || value === '1')
      .meta(meta),
  list: (meta: VariableMeta) =>
    z
      .string({ error: 'a comma-separated list' })
      .transform((value) =>
        value
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean),
      )
      .meta(meta),
};

/** The metadata of a variable, looking through optional/default/pipe wrappers. */
export function variableMeta(field: z.ZodType): VariableMeta | undefined {
  let current: z.ZodType | undefined = field;
  for (let depth = 0; current && depth < 10; depth += 1) {
    const meta = current.meta() as VariableMeta | undefined;
    if (meta?.description) return meta;
    const def: { innerType?: z.ZodType; in?: z.ZodType } = (
      current as unknown as { _zod: { def: { innerType?: z.ZodType; in?: z.ZodType } } }
    )._zod.def;
    current = def.innerType ?? def.in;
  }
  return undefined;
}
