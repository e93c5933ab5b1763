import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerConfig } from '../src/config';
import { expectError } from './flavour-shapes';
import { DOCS, post, QUERY, startServer, type TestServer } from './helpers';

// Issue 13 item 7a: a value nested thousands of levels deep gave a 500 after the model ran (the
// response's JSON serialization overflowed the stack). Nesting is bounded before any work.

let t: TestServer;
beforeAll(async () => {
  t = await startServer();
});
afterAll(() => t.close());

/** `{ "a": { "a": … "leaf" } }`, `levels` objects deep. */
function nested(levels: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

const DEPTH = loadServerConfig({}).maxJsonDepth;

describe('MAX_JSON_DEPTH', () => {
  it('is 32 by default', () => {
    expect(DEPTH).toBe(32);
  });

  it('refuses a document holding a value nested 5000 deep, naming the field, before the model runs', async () => {
    const runs = t.probe.runs;
    // Written as text: JSON.stringify itself overflows the stack at this depth.
    const deep = `${'{"a": '.repeat(5000)}"leaf"${'}'.repeat(5000)}`;
    const docs = `["x", {"text": "Photovoltaic cells", "meta": ${deep}}]`;
    const field = `documents[1].meta${'.a'.repeat(DEPTH - 3)}`;

    const cohere = await post(`${t.url}/v1/rerank`, `{"query": "${QUERY}", "documents": ${docs}}`);
    expectError(cohere, 400, 'cohere', 'NESTING_TOO_DEEP');
    expect(cohere.body.field).toBe(field);
    expect(cohere.body.message).toContain('MAX_JSON_DEPTH');

    const native = await post(`${t.url}/rerank`, `{"query": "${QUERY}", "documents": ${docs}}`);
    expectError(native, 422, 'native', 'NESTING_TOO_DEEP');
    expect(native.body.error.field).toBe(field);

    const tei = await post(`${t.url}/rerank`, `{"query": "${QUERY}", "texts": ["a"], "extra": ${deep}}`);
    expectError(tei, 422, 'tei', 'NESTING_TOO_DEEP');
    expect(tei.body.error).toContain(`extra${'.a'.repeat(DEPTH - 1)} is nested`);

    expect(t.probe.runs).toBe(runs);
  });

  it('serves a body nested exactly to the limit, and returns the document whole', async () => {
    // top level (1) > documents (2) > the document (3) > meta (4) > … : DEPTH containers in all.
    const doc = { text: 'Photovoltaic cells', meta: nested(DEPTH - 3) };
    const res = await post(`${t.url}/v1/rerank`, { query: QUERY, documents: [doc] });
    expect(res.status).toBe(200);
    expect(res.body.results[0].document).toEqual(doc);
    const over = await post(`${t.url}/v1/rerank`, {
      query: QUERY,
      documents: [{ ...doc, meta: nested(DEPTH - 2) }],
    });
    expectError(over, 400, 'cohere', 'NESTING_TOO_DEEP');
  });

  it('refuses a body of a million brackets quickly (no recursion anywhere)', async () => {
    const body = `{"query": "q", "documents": ${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`;
    const started = performance.now();
    const res = await post(`${t.url}/v2/rerank`, body);
    expectError(res, 400, 'cohere', 'NESTING_TOO_DEEP');
    expect(res.body.field).toBe(`documents${'[0]'.repeat(DEPTH - 1)}`);
    // A coarse guard only (the scan takes a few ms): a stack walk or a parse would show here.
    expect(performance.now() - started).toBeLessThan(2000);
    expect((await post(`${t.url}/rerank`, { query: QUERY, documents: DOCS })).status).toBe(200);
  });

  it('follows the variable', async () => {
    const strict = await startServer({ config: { maxJsonDepth: 3 } });
    try {
      const ok = await post(`${strict.url}/v1/rerank`, { query: QUERY, documents: [{ text: 'a' }] });
      expect(ok.status).toBe(200);
      const deep = await post(`${strict.url}/v1/rerank`, { query: QUERY, documents: [{ text: 'a', m: {} }] });
      expectError(deep, 400, 'cohere', 'NESTING_TOO_DEEP');
      expect(deep.body.field).toBe('documents[0].m');
    } finally {
      await strict.close();
    }
  });

  it('is checked from the environment: 3 to 1000', () => {
    expect(loadServerConfig({ MAX_JSON_DEPTH: '64' }).maxJsonDepth).toBe(64);
    expect(() => loadServerConfig({ MAX_JSON_DEPTH: '2' })).toThrow(/MAX_JSON_DEPTH="2"/);
    expect(() => loadServerConfig({ MAX_JSON_DEPTH: '5000' })).toThrow(/MAX_JSON_DEPTH="5000"/);
  });
});
