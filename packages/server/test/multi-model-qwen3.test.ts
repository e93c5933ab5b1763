import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { AutoTokenizer, env as transformersEnv } from '@huggingface/transformers';
import type { BackendCandidate } from '@reranker/core';
import { createComputeBudget } from '@reranker/node';
import {
  loadQwen3Reference,
  QWEN3_RERANKER_TEMPLATE,
  type Qwen3ReferenceModel,
  referenceBackend,
  referenceDecoderBackend,
  referencePairScores,
  referenceYesNoScore,
} from '@reranker/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelSpecs } from '../src/models/spec';
import { DOCS, get, type Json, post, QUERY } from './helpers';
import { type MultiServer, startMultiServer } from './multi-server';

// Three synthesized models with real architectures and random weights in one server: BERT `minilm`,
// XLM-R `xlmr` (the testkit's float64 encoder reference backend) and the LLM reranker `qwen`
// (tiny-qwen3 on the testkit's float64 Qwen3 reference decoder backend; the onnxruntime decoder path
// is not in this branch). Scores are checked against the testkit's references: the encoders' pair
// scores, and for Qwen3 `referenceYesNoScore` on the model card's prompt as `encodeRerankPrompt`
// builds it with transformers.js's tokenizer (never the server's encoder).
const INSTRUCTION = 'Given a question, judge whether the passage states a physical fact that answers it';

let server: MultiServer;
let work: string;
let qwenRef: Qwen3ReferenceModel;
let encode: (text: string) => number[];
let labelIds: { yes: number; no: number };

function backends(spec: { name: string }): BackendCandidate[] {
  const backend = spec.name === 'qwen' ? referenceDecoderBackend() : referenceBackend();
  return [backend as unknown as BackendCandidate];
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'reranker-multi-qwen3-'));
  // The instruction and weight come from a models file, as an operator writes it.
  const file = join(work, 'models.yaml');
  await writeFile(
    file,
    `models:\n  qwen:\n    source: ./unused\n    instruction: ${INSTRUCTION}\n    weight: 2\n`,
  );
  const [fromFile] = loadModelSpecs({ models: [], modelsFile: file, defaultModel: undefined })!;
  expect(fromFile).toMatchObject({ name: 'qwen', instruction: INSTRUCTION, weight: 2 });
  server = await startMultiServer({
    models: [
      { name: 'minilm', preset: 'tiny' },
      { name: 'xlmr', preset: 'tiny-xlmr', aliases: ['rerank-v3.5'] },
      {
        name: 'qwen',
        preset: 'tiny-qwen3',
        instruction: fromFile!.instruction,
        weight: fromFile!.weight,
        maxLength: 256,
      },
    ],
    backends,
    computeBudget: createComputeBudget({ lanes: 2, threadsPerLane: 1 }),
    // A folder without ONNX gets its graph built at load: into this run's own cache.
    env: { RERANKER_CACHE_DIR: join(work, 'cache') },
  });
  const dir = server.dirs.get('qwen')!;
  qwenRef = await loadQwen3Reference(dir);
  transformersEnv.allowRemoteModels = false;
  transformersEnv.allowLocalModels = true;
  transformersEnv.localModelPath = `${dirname(dir)}/`;
  const tokenizer = await AutoTokenizer.from_pretrained(basename(dir));
  encode = (text) => tokenizer.encode(text, { add_special_tokens: false });
  const vocab = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')).model.vocab;
  labelIds = { yes: vocab.yes, no: vocab.no };
}, 180_000);

afterAll(async () => {
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

/** A native /rerank body (its `top_k` tells it from a Cohere one), which answers raw scores too. */
const native = (model: string) => ({ model, query: QUERY, documents: DOCS, top_k: DOCS.length });

const oracle = (document: string, instruction?: string) =>
  referenceYesNoScore(
    qwenRef,
    QWEN3_RERANKER_TEMPLATE,
    labelIds,
    { query: QUERY, document, ...(instruction !== undefined && { instruction }) },
    encode,
  );

describe('three models in one server: BERT, XLM-R and a tiny Qwen3 LLM reranker', () => {
  it('routes by name (and alias) to each model, every one scoring as its reference', async () => {
    for (const [model, name] of [
      ['minilm', 'minilm'],
      ['xlmr', 'xlmr'],
      ['rerank-v3.5', 'xlmr'],
      ['qwen', 'qwen'],
    ] as const) {
      const v2 = await post(`${server.url}/v2/rerank`, { model, query: QUERY, documents: DOCS });
      expect([v2.status, v2.body.model], model).toEqual([200, name]);
      expect(v2.body.results).toHaveLength(DOCS.length);
    }
    for (const name of ['minilm', 'xlmr']) {
      const expected = await referencePairScores(server.dirs.get(name)!, QUERY, DOCS);
      const { body } = await post(`${server.url}/rerank`, native(name));
      for (const r of body.results as Json[])
        expect(Math.abs(r.score - expected[r.index]!), name).toBeLessThan(1e-4);
    }
    const list = (await get(`${server.url}/v1/models`)).body.data as Json[];
    expect(list.map((m) => [m.id, m.loaded])).toEqual([
      ['minilm', true],
      ['xlmr', true],
      ['qwen', true],
    ]);
    expect(list.find((m) => m.id === 'qwen').kind).not.toBe(list.find((m) => m.id === 'minilm').kind);
  });

  it("Qwen3 scores match the float64 oracle on the card's prompt with the models file's instruction", async () => {
    const { status, body } = await post(`${server.url}/rerank`, native('qwen'));
    expect(status).toBe(200);
    const results = body.results as Json[];
    expect(results.map((r) => r.index).sort()).toEqual([0, 1, 2, 3, 4]);
    for (const r of results) {
      const want = oracle(DOCS[r.index]!, INSTRUCTION);
      expect(Math.abs(r.score - want.score)).toBeLessThan(1e-5);
      expect(Math.abs(r.relevance_score - want.relevanceScore)).toBeLessThan(1e-6);
      // The instruction changes the prompt, so the scores: the default instruction's are not these.
      expect(Math.abs(r.score - oracle(DOCS[r.index]!).score)).toBeGreaterThan(1e-4);
    }
    const scores = results.map((r) => r.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('the three models share one compute budget, each under its name and weight', async () => {
    for (const model of ['minilm', 'xlmr', 'qwen']) {
      expect(
        (await post(`${server.url}/v2/rerank`, { model, query: 'budget', documents: DOCS })).status,
      ).toBe(200);
    }
    const { body } = await get(`${server.url}/health`);
    expect(body.compute_budget).toMatchObject({ lanes: 2, threads_per_lane: 1, in_use: 0, waiting: 0 });
    const models = body.compute_budget.models as Record<string, Json>;
    expect(Object.keys(models).sort()).toEqual(['minilm', 'qwen', 'xlmr']);
    expect(models.qwen.weight).toBe(2);
    expect(models.minilm.weight).toBe(1);
    for (const m of Object.values(models)) expect(m.granted).toBeGreaterThan(0);
    const metrics = (await get(`${server.url}/metrics`)).body;
    expect(metrics.models.qwen.batches).toBeGreaterThan(0);
    expect(metrics.batches).toBe(
      metrics.models.minilm.batches + metrics.models.xlmr.batches + metrics.models.qwen.batches,
    );
  });
});
