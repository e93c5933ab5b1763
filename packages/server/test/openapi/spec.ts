import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { createApp } from '../../src/app';
import { serverConfig } from '../../src/config';
import { type Json, silentPino } from '../helpers';

/** An OpenAPI document as served (parsed JSON). */
export type Doc = Json;

/**
 * Strict ajv (JSON Schema 2020-12, OpenAPI 3.1's dialect): unknown keywords, union types, `required`
 * without `properties` and the like are compile errors, not silently ignored.
 */
export function strictAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  return ajv;
}

/**
 * A validator for `schema` taken from `doc`: its `#/components/schemas/X` references become `#/$defs/X`
 * of the compiled schema (the document itself is not a JSON Schema, so it cannot be the base).
 */
export function compileFromDoc(ajv: Ajv2020, doc: Doc, schema: unknown): ValidateFunction {
  const rebase = (value: unknown) =>
    JSON.parse(JSON.stringify(value).replaceAll('"#/components/schemas/', '"#/$defs/'));
  const cache = compiled.get(doc) ?? new Map<string, ValidateFunction>();
  compiled.set(doc, cache);
  const key = JSON.stringify(schema);
  const validate =
    cache.get(key) ?? ajv.compile({ ...rebase(schema), $defs: rebase(doc.components.schemas) });
  cache.set(key, validate);
  return validate;
}

// Compiling is slow (ms per schema) and the tests validate many bodies against few schemas. Keyed by
// document; each test file uses one ajv instance.
const compiled = new WeakMap<Doc, Map<string, ValidateFunction>>();

/** The operation of `method` on `path`, failing loudly when the document lacks it. */
export function operation(doc: Doc, method: string, path: string): Json {
  const op = doc.paths[path]?.[method.toLowerCase()];
  if (!op) throw new Error(`the document has no ${method} ${path}`);
  return op;
}

export function requestSchema(doc: Doc, path: string): unknown {
  return operation(doc, 'post', path).requestBody.content['application/json'].schema;
}

/** The schema documented for `status` on an operation, in `contentType`; an error when undocumented. */
export function responseSchema(
  doc: Doc,
  method: string,
  path: string,
  status: number,
  contentType = 'application/json',
): unknown {
  const response = operation(doc, method, path).responses[String(status)];
  if (!response) throw new Error(`${method} ${path} does not document status ${status}`);
  const schema = response.content?.[contentType]?.schema;
  if (!schema) throw new Error(`${method} ${path} ${status} documents no ${contentType} body`);
  return schema;
}

/** Every operation of the document as [method, path, operation]. */
export function operations(doc: Doc): [string, string, Json][] {
  return Object.entries(doc.paths as Record<string, Json>).flatMap(([path, item]) =>
    Object.entries(item as Record<string, Json>).map(
      ([method, op]) => [method, path, op] as [string, string, Json],
    ),
  );
}

/**
 * GET /openapi.json from a real app (its model never loads: the document does not need one), for the
 * tests that check the document exactly as served.
 */
export async function servedDocument(): Promise<Doc> {
  const app = createApp({
    reranker: new Promise(() => {}),
    config: serverConfig({ warmupOnStart: false }),
    logger: silentPino(),
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  try {
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/openapi.json`);
    if (response.status !== 200) throw new Error(`GET /openapi.json answered ${response.status}`);
    return await response.json();
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
