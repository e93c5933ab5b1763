import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

/** How one environment variable's text becomes a typed value. */
export interface ValueKind<T> {
  /** What is accepted, phrased to follow "use": `fp32, fp16 or q8`. Shown in errors and --help. */
  readonly accepts: string;
  /** The value, or `undefined` when the text is not acceptable. Input is trimmed and non-empty. */
  parse(raw: string): T | undefined;
}

function fromSchema<T>(accepts: string, schema: z.ZodType<T, string>): ValueKind<T> {
  return {
    accepts,
    parse(raw) {
      const result = schema.safeParse(raw);
      return result.success ? result.data : undefined;
    },
  };
}

function listWords(values: readonly string[]): string {
  return values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
}

/** One of a fixed set of words, case-insensitive. */
export function oneOf<const T extends string>(values: readonly [T, ...T[]]): ValueKind<T> {
  const schema = z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(values));
  return fromSchema(listWords(values), schema);
}

const TRUTHY = ['true', '1', 'yes'];
const FALSY = ['false', '0', 'no'];
const BOOLEAN_WORDS = 'true or false (also 1/0, yes/no)';

/** true/false, 1/0, yes/no in any case. */
export function boolean(): ValueKind<boolean> {
  return fromSchema(BOOLEAN_WORDS, z.stringbool({ truthy: TRUTHY, falsy: FALSY, case: 'insensitive' }));
}

/** A boolean, or `auto` to let the runtime decide. */
export function booleanOrAuto(): ValueKind<boolean | 'auto'> {
  const bool = boolean();
  return {
    accepts: `auto, ${BOOLEAN_WORDS}`,
    parse: (raw) => (raw.toLowerCase() === 'auto' ? 'auto' : bool.parse(raw)),
  };
}

/** A whole number within [min, max]. */
export function integer(min: number, max: number): ValueKind<number> {
  const schema = z
    .string()
    .regex(/^\+?\d+$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
  return fromSchema(`a whole number from ${min} to ${max}`, schema);
}

/** A whole number within [min, max], or `auto` to let the engine measure (any case). */
export function integerOrAuto(min: number, max: number): ValueKind<number | 'auto'> {
  const whole = integer(min, max);
  return {
    accepts: `auto or ${whole.accepts}`,
    parse: (raw) => (raw.toLowerCase() === 'auto' ? 'auto' : whole.parse(raw)),
  };
}

/** A decimal number within [min, max]. */
export function decimal(min: number, max: number): ValueKind<number> {
  const schema = z
    .string()
    .regex(/^\+?(\d+\.?\d*|\.\d+)$/)
    .transform(Number)
    .pipe(z.number().min(min).max(max));
  return fromSchema(`a number from ${min} to ${max}`, schema);
}

/** A number of seconds above 0 (fractions allowed), returned in milliseconds. */
export function secondsAsMs(maxSeconds: number): ValueKind<number> {
  const schema = z
    .string()
    .regex(/^\+?(\d+\.?\d*|\.\d+)$/)
    .transform(Number)
    .pipe(z.number().gt(0).max(maxSeconds))
    .transform((seconds) => Math.round(seconds * 1000));
  return fromSchema(`a number of seconds above 0 and at most ${maxSeconds}`, schema);
}

/** Any non-empty text. */
export function text(accepts = 'any non-empty text'): ValueKind<string> {
  return { accepts, parse: (raw) => raw };
}

/** An http(s) URL, returned without a trailing slash so paths can be appended with `/`. */
export function httpUrl(): ValueKind<string> {
  const schema = z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/+$/, ''));
  return fromSchema('an http(s) URL such as https://huggingface.co', schema);
}

/** A file system path; `~` is the home folder and relative paths are resolved against the working dir. */
export function path(): ValueKind<string> {
  return { accepts: 'a folder path', parse: expandPath };
}

export function expandPath(raw: string): string {
  if (raw === '~') return homedir();
  if (raw.startsWith('~/') || raw.startsWith('~\\')) return resolve(homedir(), raw.slice(2));
  return isAbsolute(raw) ? raw : resolve(raw);
}
