import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRerankerError } from '@reranker/core';
import { createReranker } from '@reranker/node';
import { QWEN3_RERANKER_TEMPLATE, synthesizedModelDir } from '@reranker/testkit';
import { CohereClientV2, CohereError } from 'cohere-ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS, get, type Json, post, QUERY, startServer, type TestServer } from './helpers';
import {
  decoderBackends,
  expectOracle,
  INSTRUCTION,
  LLM_DOCS,
  LLM_QUERY,
  largestGap,
  nativeResults,
  oracle,
  startLlmServer,
  tinyQwen3,
} from './llm-helpers';

// The LLM reranker settings from the environment (RERANKER_INSTRUCTION, RERANKER_TEMPLATE_FILE), and
// a cross-encoder refusing the instruction in every API flavour.

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'llm-config-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('RERANKER_INSTRUCTION', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startLlmServer({ env: { RERANKER_INSTRUCTION: INSTRUCTION } });
  }, 180_000);
  afterAll(() => server?.close());

  it("is the instruction of requests without one; a request's own wins", async () => {
    const res = await post(`${server.url}/rerank`, { query: LLM_QUERY, documents: LLM_DOCS });
    expectOracle(nativeResults(res.body), await oracle({ instruction: INSTRUCTION }));
    const own = 'Find passages about bread';
    const overridden = await post(`${server.url}/rerank`, {
      query: LLM_QUERY,
      documents: LLM_DOCS,
      instruction: own,
    });
    expectOracle(nativeResults(overridden.body), await oracle({ instruction: own }));
  });

  it('/info shows it as the default instruction', async () => {
    const info = await get(`${server.url}/info`);
    expect(info.body.default_instruction).toBe(INSTRUCTION);
    expect(info.body.template.defaultInstruction).toBe(QWEN3_RERANKER_TEMPLATE.defaultInstruction);
  });
});

describe('RERANKER_TEMPLATE_FILE', () => {
  // Another yes/no prompt for the same model: different fixed text, instruction after the system line.
  const custom = {
    name: 'plain-yes-no',
    prefix: '<|im_start|>system\nAnswer yes or no.<|im_end|>\n<|im_start|>user\n',
    body: 'Task: {instruction}\nQuestion: {query}\nPassage: {document}',
    suffix: '<|im_end|>\n<|im_start|>assistant\n',
    labels: { yes: 'yes', no: 'no' },
    defaultInstruction: 'Does the passage answer the question?',
  };

  it('serves the template from the file, shown whole by /info', async () => {
    const file = join(folder, 'template.json');
    await writeFile(file, JSON.stringify(custom));
    const server = await startLlmServer({ env: { RERANKER_TEMPLATE_FILE: file } });
    try {
      const res = await post(`${server.url}/v2/rerank`, { query: LLM_QUERY, documents: LLM_DOCS });
      const expected = await oracle({ template: custom });
      expect(largestGap(expected, await oracle())).toBeGreaterThan(1e-3);
      expectOracle(
        res.body.results.map((r: Json) => ({ index: r.index, relevance: r.relevance_score })),
        expected,
      );
      const info = await get(`${server.url}/info`);
      expect(info.body).toMatchObject({ template: custom, default_instruction: custom.defaultInstruction });
    } finally {
      await server.close();
    }
  });

  it.each([
    ['a missing file', null, /cannot be read/],
    ['not JSON', '{"name": ', /not JSON/],
    ['a misspelt field', JSON.stringify({ ...custom, sufix: custom.suffix }), /unknown field sufix/],
    ['a body without {document}', JSON.stringify({ ...custom, body: 'Q: {query}' }), /"body" must/],
  ])('refuses %s with INVALID_CONFIG naming the variable', async (_name, text, message) => {
    const file = join(folder, `bad-${Math.random()}.json`);
    if (text !== null) await writeFile(file, text);
    const error = await createReranker({
      model: await tinyQwen3(),
      env: { RERANKER_TEMPLATE_FILE: file },
      backends: decoderBackends(),
      progress: 'none',
    }).catch((e: unknown) => e);
    expect(isRerankerError(error, 'INVALID_CONFIG')).toBe(true);
    expect((error as Error).message).toContain(`RERANKER_TEMPLATE_FILE=${file}`);
    expect((error as Error).message).toMatch(message);
  });
});

describe('a cross-encoder', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server?.close());

  it.each(['RERANKER_INSTRUCTION', 'RERANKER_TEMPLATE_FILE'])(
    'refuses %s at start-up, naming it',
    async (variable) => {
      const file = join(folder, 'valid.json');
      await writeFile(file, JSON.stringify({ name: 'qwen3', ...QWEN3_RERANKER_TEMPLATE }));
      const env = { [variable]: variable === 'RERANKER_INSTRUCTION' ? 'anything' : file };
      const error = await createReranker({
        model: await synthesizedModelDir('tiny'),
        env,
        backends: decoderBackends(),
        progress: 'none',
      }).catch((e: unknown) => e);
      expect(isRerankerError(error, 'INVALID_CONFIG')).toBe(true);
      expect((error as Error).message).toMatch(new RegExp(`^${variable} is set, but .* is a cross-encoder`));
    },
  );

  it('/info says so, with no template and no default instruction', async () => {
    const info = await get(`${server.url}/info`);
    expect(info.body).toMatchObject({
      model_kind: 'cross-encoder',
      template: null,
      default_instruction: null,
    });
  });

  it('refuses a request instruction in each flavour, naming the field', async () => {
    const native = await post(`${server.url}/rerank`, { query: QUERY, documents: DOCS, instruction: 'x' });
    expect(native.status).toBe(422);
    expect(native.body.error).toMatchObject({ code: 'INVALID_INPUT', field: 'instruction' });
    expect(native.body.detail).toMatch(/cross-encoder/);
    const tei = await post(`${server.url}/rerank`, { query: QUERY, texts: DOCS, instruction: 'x' });
    expect(tei.status).toBe(422);
    expect(tei.body).toEqual({
      error: expect.stringMatching(/^instruction applies/),
      error_type: 'Validation',
    });
    for (const path of ['/rerank', '/v1/rerank', '/v2/rerank']) {
      const body = { query: QUERY, documents: DOCS, top_n: 2, instruction: 'x' };
      const cohere = await post(`${server.url}${path}`, body);
      expect(cohere.status).toBe(400);
      expect(cohere.body).toMatchObject({ code: 'INVALID_INPUT', field: 'instruction' });
    }
    const client = new CohereClientV2({ token: '', environment: server.url, maxRetries: 0 });
    const request = { model: 'm', query: QUERY, documents: DOCS, instruction: 'x' };
    const refused = await client.rerank(request).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CohereError);
    expect((refused as CohereError).statusCode).toBe(400);
    expect((refused as CohereError).body).toMatchObject({ field: 'instruction' });
    // Nothing was scored for any of them.
    expect(server.probe.rows).toBe(0);
  });

  it('takes instruction: null as absent', async () => {
    const res = await post(`${server.url}/v1/rerank`, { query: QUERY, documents: DOCS, instruction: null });
    expect(res.status).toBe(200);
  });
});
