// rerank()'s telemetry: a per-call integration receives the reranking model call's start and end
// with our provider and model ids and the ranking the model returned (random-weight model: the
// ranking is checked against the testkit's reference pass, not against our own output).
import { startTestServer, type TestServer } from '@reranker/server/testing';
import { referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import { rerank, type Telemetry } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localReranker, rerankerServer } from '../src/index';

const TEXTS = ['Solar panels make electricity.', 'Bread is baked at dawn.', 'Wind turbines spin.'];
let dir: string;
let t: TestServer;
beforeAll(async () => {
  dir = await synthesizedModelDir('tiny');
  t = await startTestServer(dir);
});
afterAll(() => t?.close());

describe.each([
  ['in-process', () => localReranker(t.reranker)],
  ['server', () => rerankerServer({ baseURL: t.url })],
] as const)('%s', (name, model) => {
  it('reports the reranking call to a telemetry integration', async () => {
    const query = `what makes electricity (telemetry ${name})`;
    const events: { kind: string; event: Record<string, unknown> }[] = [];
    const integration: Telemetry = {
      onRerankStart: (event) => void events.push({ kind: 'start', event: event as never }),
      onRerankEnd: (event) => void events.push({ kind: 'end', event: event as never }),
    };
    const result = await rerank({
      model: model(),
      query,
      documents: TEXTS,
      maxRetries: 0,
      telemetry: { isEnabled: true, functionId: 'telemetry-test', integrations: [integration] },
    });
    expect(events.map((e) => e.kind)).toEqual(['start', 'end']);
    const end = events[1]!.event as {
      provider: string;
      modelId: string;
      ranking: { index: number; relevanceScore: number }[];
    };
    const m = model();
    expect(end.provider).toBe(m.provider);
    expect(end.modelId).toBe(m.modelId);
    const relevance = (await referencePairScores(dir, query, TEXTS)).map((l) => 1 / (1 + Math.exp(-l)));
    for (const r of end.ranking) expect(r.relevanceScore).toBeCloseTo(relevance[r.index]!, 5);
    expect(end.ranking.map((r) => r.index)).toEqual(result.ranking.map((r) => r.originalIndex));
  });
});
