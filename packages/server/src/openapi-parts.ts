import { z } from 'zod';

/** The building blocks of the OpenAPI document: JSON Schema 2020-12 pieces (OpenAPI 3.1's dialect). */
export type Schema = Record<string, unknown>;

export const num = { type: 'number' };
export const int = { type: 'integer' };
export const str = { type: 'string' };
export const bool = { type: 'boolean' };
export const nil = { type: 'null' };

/** An object of `properties`, all required unless `required` says otherwise; other keys allowed. */
export const obj = (properties: Schema, required: string[] = Object.keys(properties)): Schema => ({
  type: 'object',
  properties,
  required,
});
/** As `obj`, but no other keys: used where the tests check the server sends exactly this. */
export const closed = (properties: Schema, required?: string[]): Schema => ({
  ...obj(properties, required),
  additionalProperties: false,
});
export const arr = (items: Schema): Schema => ({ type: 'array', items });
/** One of these strings. */
export const choice = (...values: string[]): Schema => ({ type: 'string', enum: values });

/**
 * The request keys of a metrics snapshot (core's `MetricsSnapshot`), which GET /metrics gives per
 * server and GET /metrics/cluster per model: the counts, and the mean and percentile times.
 */
export const requestCounts = (successRate: Schema): Schema => ({
  total_requests: int,
  successful_requests: int,
  failed_requests: int,
  success_rate: successRate,
});
export const requestTimes = (ms: Schema): Schema => ({
  avg_wait_time_ms: ms,
  avg_process_time_ms: ms,
  p50_wait_time_ms: ms,
  p95_wait_time_ms: ms,
  p99_wait_time_ms: ms,
  p50_process_time_ms: ms,
  p95_process_time_ms: ms,
  p99_process_time_ms: ms,
});

/**
 * `schema` or null. Written as `anyOf` rather than a type array (`["integer", "null"]`) because strict
 * validators (ajv's strictTypes) refuse union types. The description stays outside so tools show it;
 * a `default` stays inside, because openapi-typescript makes a property with a top-level `default`
 * required, and a client must be free to leave these out.
 */
export function nullable(schema: Schema): Schema {
  if (acceptsNull(schema)) return schema;
  const { description, ...rest } = schema;
  return { anyOf: [rest, nil], ...(description !== undefined && { description }) };
}

const ANNOTATIONS = new Set(['default', 'description', 'title', 'examples', 'deprecated']);

function acceptsNull(schema: Schema): boolean {
  if (schema.type === 'null') return true;
  if (Array.isArray(schema.type)) return schema.type.includes('null');
  const anyOf = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (anyOf) return anyOf.some(acceptsNull);
  // `{}` (anything, e.g. zod's unrepresentable parts) accepts null too.
  return Object.keys(schema).every((key) => ANNOTATIONS.has(key));
}

/** A reference to `components.schemas[name]`. */
export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

/** A JSON response of `schema`. */
export function json(schema: Schema, description: string, headers?: Schema): Schema {
  return { description, ...(headers && { headers }), content: { 'application/json': { schema } } };
}

/**
 * A request schema from the zod schema the route validates with, so the two cannot drift. Optional
 * fields are made nullable, because every route takes a `null` optional field as absent (cohere-ai
 * and LangChain send `null` for every field left unset).
 */
export function fromZod(schema: z.ZodType): Schema {
  const { $schema: _, ...json } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Schema;
  return strictly(json);
}

const SAFE = Number.MAX_SAFE_INTEGER;

/** zod's JSON Schema, made strict-validator friendly: no type arrays, no ±2^53 bounds; optionals nullable. */
function strictly(schema: Schema): Schema {
  let out: Schema = Object.fromEntries(
    Object.entries(schema)
      .filter(
        ([key, value]) => !((key === 'minimum' && value === -SAFE) || (key === 'maximum' && value === SAFE)),
      )
      .map(([key, value]) => [key, nested(key, value)]),
  );
  if (Array.isArray(out.type)) {
    const { type, description, ...rest } = out;
    const others = (type as string[]).filter((t) => t !== 'null');
    const branches = others.map((t) => ({ type: t, ...rest }));
    if (others.length < (type as string[]).length) branches.push(nil);
    out = { anyOf: branches, ...(description !== undefined && { description }) };
  }
  if (out.type === 'object' && out.properties) {
    const required = new Set((out.required as string[] | undefined) ?? []);
    out.properties = Object.fromEntries(
      Object.entries(out.properties as Record<string, Schema>).map(([name, property]) => [
        name,
        required.has(name) ? property : nullable(property),
      ]),
    );
  }
  return out;
}

/** Recurses into the keywords that hold schemas (and only those: `enum` and `default` are data). */
function nested(key: string, value: unknown): unknown {
  if (key === 'properties' || key === '$defs') {
    return Object.fromEntries(
      Object.entries(value as Record<string, Schema>).map(([name, s]) => [name, strictly(s)]),
    );
  }
  if (key === 'anyOf' || key === 'oneOf' || key === 'allOf' || key === 'prefixItems') {
    return (value as Schema[]).map(strictly);
  }
  if (['items', 'additionalProperties', 'propertyNames', 'not'].includes(key) && isSchema(value)) {
    return strictly(value);
  }
  return value;
}

const isSchema = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
