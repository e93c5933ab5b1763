// Every error the rerank routes can answer, built by the one function that writes them
// (errors.ts toErrorResponse), is documented in /openapi.json at its status and in its flavour's shape.
// Real responses are checked in openapi-responses.test.ts; this covers the ones a test cannot easily
// provoke (engine failures, timeouts, overload).
import { ERROR_CODES, RerankerError } from '@reranker/core';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { type Flavour, HttpError, toErrorResponse } from '../src/errors';
import { openapiDocument } from '../src/openapi-document';
import { cohereRequest } from '../src/routes/cohere';
import { nativeRequest } from '../src/routes/native';
import { teiRequest } from '../src/routes/tei';
import { compileFromDoc, type Doc, operations, responseSchema, strictAjv } from './openapi/spec';

const doc: Doc = JSON.parse(JSON.stringify(openapiDocument()));
const ajv = strictAjv();
const ALL: Flavour[] = ['native', 'tei', 'cohere'];
const SHAPE: Record<Flavour, string> = { native: 'NativeError', tei: 'TeiError', cohere: 'CohereError' };

const zodError = (schema: z.ZodType, body: unknown) => {
  const parsed = schema.safeParse(body);
  if (parsed.success) throw new Error('expected the body to be invalid');
  return parsed.error;
};
/** body-parser's http-errors, as express.json() raises them. */
const parserError = (type: string, status: number, message: string) =>
  Object.assign(new Error(message), { type, status });

/** [what, error, the flavours whose requests can meet it]. */
const CASES: [string, unknown, Flavour[]][] = [
  ...ERROR_CODES.filter((code) => code !== 'ABORTED').map(
    (code) =>
      [
        `engine ${code}`,
        new RerankerError(code, `engine said ${code}`, {
          details: { field: 'documents', retryAfterSeconds: 2 },
        }),
        ALL,
      ] as [string, unknown, Flavour[]],
  ),
  ['native validation', zodError(nativeRequest, { query: 'q', documents: [3] }), ['native']],
  ['TEI validation', zodError(teiRequest, { query: 'q' }), ['tei']],
  ['Cohere validation', zodError(cohereRequest, { query: 'q', documents: ['a'], top_n: 0 }), ['cohere']],
  ['empty texts', new HttpError(400, 'EMPTY', '`texts` cannot be empty.', { field: 'texts' }), ['tei']],
  ['too many documents', new HttpError(413, 'TOO_MANY_DOCUMENTS', 'too many', { field: 'documents' }), ALL],
  ['TEI text too long', new HttpError(413, 'INPUT_TOO_LONG', 'too long', { field: 'texts[0]' }), ['tei']],
  [
    'too many chunks',
    new HttpError(400, 'INPUT_TOO_LONG', 'too many chunks', { field: 'documents' }),
    ['cohere'],
  ],
  ['no rank field', new HttpError(400, 'INVALID_INPUT', 'no field', { field: 'documents[0]' }), ['cohere']],
  ['unknown model', new HttpError(404, 'MODEL_NOT_FOUND', 'no such model', { field: 'model' }), ['cohere']],
  ['no key', new HttpError(401, 'UNAUTHORIZED', 'Missing API key.'), ALL],
  ['loading', new HttpError(503, 'LOADING', 'loading', { retryAfter: 5 }), ALL],
  ['load failed', new HttpError(503, 'UNHEALTHY', 'failed'), ALL],
  ['draining', new HttpError(503, 'SHUTTING_DOWN', 'bye', { retryAfter: 1 }), ALL],
  ['bad JSON', parserError('entity.parse.failed', 400, 'Unexpected token'), ALL],
  ['body too large', parserError('entity.too.large', 413, 'request entity too large'), ALL],
  ['unsupported encoding', parserError('encoding.unsupported', 415, 'unsupported content encoding "x"'), ALL],
  ['unsupported charset', parserError('charset.unsupported', 415, 'unsupported charset "LATIN1"'), ALL],
  [
    'body shorter than Content-Length',
    parserError('request.size.invalid', 400, 'request size did not match'),
    ALL,
  ],
  ['a bug', new TypeError('x is undefined'), ALL],
];

/** The rerank routes that answer in `flavour`. */
const routesOf = (flavour: Flavour) =>
  flavour === 'cohere' ? ['/rerank', '/v1/rerank', '/v2/rerank'] : ['/rerank'];

describe('OpenAPI error responses', () => {
  it.each(CASES)('%s: documented at its status, in the shape of each flavour', (_what, error, flavours) => {
    for (const flavour of flavours) {
      const { status, body } = toErrorResponse(error, flavour);
      for (const path of routesOf(flavour)) {
        const validate = compileFromDoc(ajv, doc, responseSchema(doc, 'post', path, status));
        expect(validate(body), `${flavour} ${status} on ${path}: ${ajv.errorsText(validate.errors)}`).toBe(
          true,
        );
      }
      // Exactly the flavour's own shape, not merely one of those /rerank may send.
      const own = compileFromDoc(ajv, doc, { $ref: `#/components/schemas/${SHAPE[flavour]}` });
      expect(own(body), `${flavour}: ${ajv.errorsText(own.errors)}`).toBe(true);
      for (const other of ALL.filter((f) => f !== flavour)) {
        expect(compileFromDoc(ajv, doc, { $ref: `#/components/schemas/${SHAPE[other]}` })(body)).toBe(false);
      }
    }
  });

  it('a client that left (499) is not documented: nobody reads that answer', () => {
    expect(toErrorResponse(new RerankerError('ABORTED', 'gone'), 'native').status).toBe(499);
  });

  it('503 answers document Retry-After', () => {
    for (const path of ['/rerank', '/v1/rerank', '/v2/rerank']) {
      expect(Object.keys(doc.paths[path].post.responses['503'].headers)).toEqual(['Retry-After']);
    }
  });

  it('every operation documents a 4xx, and error bodies are one of the three shapes', () => {
    const shapes = new Set(Object.values(SHAPE).map((name) => `#/components/schemas/${name}`));
    for (const [method, path, op] of operations(doc)) {
      const statuses = Object.keys(op.responses);
      expect(
        statuses.some((s) => s.startsWith('4')),
        `${method} ${path}`,
      ).toBe(true);
      for (const status of statuses.filter((s) => Number(s) >= 400)) {
        const schema = op.responses[status].content['application/json'].schema;
        const refs: string[] = (schema.oneOf ?? [schema]).map((s: { $ref: string }) => s.$ref);
        // /health and /readyz answer 503 with their usual body; everything else with an error shape.
        if (status === '503' && (path === '/health' || path === '/readyz')) continue;
        for (const ref of refs) expect(shapes.has(ref), `${method} ${path} ${status}: ${ref}`).toBe(true);
      }
    }
  });
});
