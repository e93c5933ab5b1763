import { z } from 'zod';
import type { ServerConfig } from './config';

/** One documented server variable, for --help and the README. */
export interface ServerVariable {
  variable: string;
  key: keyof ServerConfig;
  default: string;
  accepts: string;
  description: string;
  schema: z.ZodType<unknown, string>;
}

export const bool = z.stringbool({
  truthy: ['true', '1', 'yes'],
  falsy: ['false', '0', 'no'],
  case: 'insensitive',
});
export const BOOL_WORDS = 'true or false (also 1/0, yes/no)';
export const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\+?\d+$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
export const list = z.string().transform((raw) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0),
);
const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };
export const size = z
  .string()
  .regex(/^\d+(\.\d+)?\s*(b|kb|mb|gb)?$/i)
  .transform((raw) => {
    const [, num, unit] = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(raw)!;
    return Math.floor(Number(num) * (UNITS[(unit || 'b').toLowerCase()] ?? 1));
  })
  .pipe(
    z
      .number()
      .int()
      .min(1024)
      .max(1024 ** 3),
  );

export function variable(
  variable: string,
  key: keyof ServerConfig,
  def: string,
  accepts: string,
  description: string,
  schema: z.ZodType<unknown, string>,
): ServerVariable {
  return { variable, key, default: def, accepts, description, schema };
}
