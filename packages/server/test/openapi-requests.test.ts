// The request schemas of /openapi.json under a strict JSON Schema validator (ajv, 2020-12 as OpenAPI
// 3.1 uses): every schema compiles in strict mode, a sample body of each API shape matches its route,
// and the branches of POST /rerank exclude each other exactly as the route tells the APIs apart.
import { describe, expect, it } from 'vitest';
import { openapiDocument } from '../src/openapi-document';
import { flavourOf } from '../src/routes/rerank';
import { compileFromDoc, type Doc, operations, requestSchema, strictAjv } from './openapi/spec';

// What GET /openapi.json sends (res.json of the same object).
const doc: Doc = JSON.parse(JSON.stringify(openapiDocument()));
const ajv = strictAjv();
const validator = (path: string) => compileFromDoc(ajv, doc, requestSchema(doc, path));
const component = (name: string) => compileFromDoc(ajv, doc, { $ref: `#/components/schemas/${name}` });

const BODIES = {
  native: { query: 'q', documents: ['a', { text: 'b', id: 7 }], top_k: 1, return_documents: false },
  tei: { query: 'q', texts: ['a', 'b'], raw_scores: true, return_text: true, truncation_direction: 'Left' },
  // What cohere-ai sends for a call that leaves the optional fields unset: nulls.
  cohere: {
    model: 'rerank-v3.5',
    query: 'q',
    documents: ['a', { title: 't', body: 'b' }],
    top_n: 2,
    rank_fields: ['title', 'body'],
    return_documents: null,
    max_chunks_per_doc: null,
    max_tokens_per_doc: null,
    priority: null,
  },
  jina: {
    model: 'jina-reranker-v2-base-multilingual',
    query: 'q',
    documents: ['a'],
    top_n: 1,
    return_documents: true,
  },
};

describe('OpenAPI request schemas (ajv strict)', () => {
  it('declares OpenAPI 3.1, whose schemas are JSON Schema 2020-12', () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
  });

  it('every schema of the document compiles in strict mode', () => {
    for (const name of Object.keys(doc.components.schemas)) expect(() => component(name), name).not.toThrow();
    let compiled = 0;
    for (const [method, path, op] of operations(doc)) {
      const bodies = [op.requestBody, ...Object.values(op.responses)] as {
        content?: Record<string, { schema: unknown }>;
      }[];
      for (const body of bodies) {
        for (const [type, media] of Object.entries(body?.content ?? {})) {
          expect(() => compileFromDoc(ajv, doc, media.schema), `${method} ${path} ${type}`).not.toThrow();
          compiled++;
        }
      }
    }
    expect(compiled).toBeGreaterThan(50);
  });

  it('POST /rerank accepts each of the four API shapes', () => {
    const validate = validator('/rerank');
    for (const [shape, body] of Object.entries(BODIES)) {
      expect(validate(body), `${shape}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
  });

  it('POST /v1/rerank and /v2/rerank accept Cohere and Jina bodies, not TEI ones', () => {
    for (const path of ['/v1/rerank', '/v2/rerank']) {
      const validate = validator(path);
      expect(validate(BODIES.cohere), ajv.errorsText(validate.errors)).toBe(true);
      expect(validate(BODIES.jina), ajv.errorsText(validate.errors)).toBe(true);
      expect(validate(BODIES.tei)).toBe(false);
    }
  });

  it('refuses what the routes refuse', () => {
    const rerank = validator('/rerank');
    const v1 = validator('/v1/rerank');
    expect(rerank({ query: 'q' })).toBe(false);
    expect(rerank({ query: 'q', documents: [1] })).toBe(false);
    expect(rerank({ query: 'q', documents: [{ title: 'no text' }] })).toBe(false);
    expect(rerank({ query: 'q', texts: ['a'], truncation_direction: 'up' })).toBe(false);
    expect(rerank({ query: 'q', documents: ['a'], top_n: 0 })).toBe(false);
    expect(rerank({ query: null, documents: ['a'] })).toBe(false);
    expect(v1({ ...BODIES.cohere, top_n: 1.5 })).toBe(false);
    expect(v1({ ...BODIES.cohere, rank_fields: [] })).toBe(false);
    expect(v1({ ...BODIES.cohere, documents: null })).toBe(false);
  });

  it('each /rerank body matches exactly the branch routes/rerank.ts flavourOf picks', () => {
    const branches = requestSchema(doc, '/rerank') as { oneOf: unknown[] };
    const [native, tei, cohere] = branches.oneOf.map((branch) => compileFromDoc(ajv, doc, branch));
    const options = {
      texts: [undefined, ['a']],
      top_k: [undefined, 2, null],
      top_n: [undefined, 2, null],
      model: [undefined, 'm', null],
    };
    let bodies = [{ query: 'q', documents: ['a'] } as Record<string, unknown>];
    for (const [field, values] of Object.entries(options)) {
      bodies = bodies.flatMap((body) =>
        values.map((value) => (value === undefined ? body : { ...body, [field]: value })),
      );
    }
    expect(bodies).toHaveLength(54);
    for (const body of bodies) {
      const matched = { native: native!(body), tei: tei!(body), cohere: cohere!(body) };
      const expected = flavourOf(body);
      expect(matched, JSON.stringify(body)).toEqual({
        native: expected === 'native',
        tei: expected === 'tei',
        cohere: expected === 'cohere',
      });
    }
  });

  it('every rerank request takes the instruction extension: a non-empty string of at most 4096', () => {
    for (const name of ['NativeRerankRequest', 'TeiRerankRequest', 'CohereRerankRequest']) {
      const validate = component(name);
      const base =
        BODIES[name === 'NativeRerankRequest' ? 'native' : name === 'TeiRerankRequest' ? 'tei' : 'jina'];
      expect(validate({ ...base, instruction: 'Find answers' }), name).toBe(true);
      expect(validate({ ...base, instruction: '' }), name).toBe(false);
      expect(validate({ ...base, instruction: 'x'.repeat(4097) }), name).toBe(false);
      expect(validate({ ...base, instruction: 7 }), name).toBe(false);
    }
  });

  it('optional fields accept null (taken as absent), required ones do not', () => {
    const nullable: string[] = [];
    for (const [name, base] of [
      ['NativeRerankRequest', BODIES.native],
      ['TeiRerankRequest', BODIES.tei],
      ['CohereRerankRequest', BODIES.cohere],
    ] as const) {
      const schema = doc.components.schemas[name];
      const validate = component(name);
      for (const field of Object.keys(schema.properties)) {
        const accepted = validate({ ...base, [field]: null });
        expect(accepted, `${name}.${field}`).toBe(!schema.required.includes(field));
        if (accepted) nullable.push(`${name}.${field}`);
      }
    }
    expect(nullable.sort()).toEqual([
      'CohereRerankRequest.instruction',
      'CohereRerankRequest.max_chunks_per_doc',
      'CohereRerankRequest.max_tokens_per_doc',
      'CohereRerankRequest.model',
      'CohereRerankRequest.priority',
      'CohereRerankRequest.rank_fields',
      'CohereRerankRequest.return_documents',
      'CohereRerankRequest.top_n',
      'NativeRerankRequest.instruction',
      'NativeRerankRequest.model',
      'NativeRerankRequest.return_documents',
      'NativeRerankRequest.return_tokens',
      'NativeRerankRequest.top_k',
      'TeiRerankRequest.instruction',
      'TeiRerankRequest.model',
      'TeiRerankRequest.raw_scores',
      'TeiRerankRequest.return_text',
      'TeiRerankRequest.truncate',
      'TeiRerankRequest.truncation_direction',
    ]);
  });
});
