import { afterEach, describe, expect, it } from 'vitest';
import { expectError, type Shape } from './flavour-shapes';
import { DOCS, post, QUERY, startServer, type TestServer } from './helpers';
import { startLlmServer } from './llm-helpers';

// The instruction rule is the engine's (`validateInstruction`); the routes apply it before a request
// takes a slot. With the only slot held by a request waiting at the backend, a refusal comes at once
// (a request that took the slot path first would wait behind it), nothing queues and no batch runs.
// Every request below takes the slot path: return_tokens, truncate: false and Cohere's chunking all
// work inside the slot before scoring.

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const bodies = (instruction: string): [string, Shape, number, object][] => [
  ['/rerank', 'native', 422, { query: QUERY, documents: DOCS, return_tokens: true, instruction }],
  ['/rerank', 'tei', 422, { query: QUERY, texts: DOCS, truncate: false, instruction }],
  ['/v1/rerank', 'cohere', 400, { query: QUERY, documents: DOCS, instruction }],
  ['/v2/rerank', 'cohere', 400, { query: QUERY, documents: DOCS, instruction }],
];

describe.each([
  [
    'an LLM reranker',
    startLlmServer,
    [
      ['empty', ''],
      ['blank', '  \n '],
      ['over 4096 bytes', 'é'.repeat(2049)],
    ],
  ],
  ['a cross-encoder', startServer, [['any', 'Judge relevance.']]],
])('%s refuses a bad instruction before it takes a slot', (_name, start, instructions) => {
  it.each(instructions)('%s', async (_case, instruction) => {
    server = await start({ engine: { maxParallel: 1, maxQueue: 1 } });
    const { probe } = server;
    probe.hold();
    const started = probe.started();
    const running = post(`${server.url}/rerank`, { query: QUERY, documents: DOCS });
    await started;
    const runs = probe.runs;

    for (const [path, shape, status, body] of bodies(instruction)) {
      const refused = await post(`${server.url}${path}`, body);
      expectError(refused, status, shape, 'INVALID_INPUT');
      if (shape !== 'tei') expect(refused.body.field ?? refused.body.error.field).toBe('instruction');
    }
    expect(server.reranker.stats().controller).toMatchObject({ active: 1, waiting: 0 });
    expect(probe.runs).toBe(runs);

    probe.release();
    expect((await running).status).toBe(200);
  });
});
