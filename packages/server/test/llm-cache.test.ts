import { QWEN3_RERANKER_TEMPLATE } from '@reranker/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearPrefix, SHARED_REDIS_URL, uniquePrefix } from './cluster/redis';
import { post, type TestServer } from './helpers';
import {
  expectOracle,
  INSTRUCTION,
  LLM_DOCS,
  LLM_QUERY,
  nativeResults,
  oracle,
  startLlmServer,
} from './llm-helpers';

// Two requests that differ only by their instruction never share cached scores: each is computed by
// the model and holds the oracle's scores for its own instruction, and each repeat is served from the
// cache (memory, and memory in front of a shared Redis).

async function rerank(server: TestServer, instruction?: string) {
  const res = await post(`${server.url}/rerank`, {
    query: LLM_QUERY,
    documents: LLM_DOCS,
    ...(instruction !== undefined && { instruction }),
  });
  expect(res.status).toBe(200);
  return nativeResults(res.body);
}

describe('the memory cache', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startLlmServer();
  }, 180_000);
  afterAll(() => server?.close());

  it('keeps the scores of each instruction apart', async () => {
    const byDefault = await oracle();
    const instructed = await oracle({ instruction: INSTRUCTION });
    expectOracle(await rerank(server), byDefault);
    expect(server.probe.rows).toBe(LLM_DOCS.length);
    // Same query and documents, another instruction: computed, never the cached default's scores.
    expectOracle(await rerank(server, INSTRUCTION), instructed);
    expect(server.probe.rows).toBe(2 * LLM_DOCS.length);
    // The default instruction given explicitly is the same prompt: served from the cache.
    expectOracle(await rerank(server, QWEN3_RERANKER_TEMPLATE.defaultInstruction), byDefault);
    expectOracle(await rerank(server, INSTRUCTION), instructed);
    expect(server.probe.rows).toBe(2 * LLM_DOCS.length);
    expect(server.reranker.stats().metrics.cache_hits).toBe(2 * LLM_DOCS.length);
  });
});

describe('memory in front of a shared Redis', () => {
  const prefix = uniquePrefix('llm-instruction');
  let servers: TestServer[] = [];
  beforeAll(async () => {
    const engine = { distributed: true, redisUrl: SHARED_REDIS_URL, redisKeyPrefix: prefix };
    servers = await Promise.all([0, 1].map(() => startLlmServer({ engine })));
  }, 180_000);
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await clearPrefix(6379, prefix);
  });

  it("a server never gets another server's scores for another instruction from Redis", async () => {
    const [a, b] = servers as [TestServer, TestServer];
    expectOracle(await rerank(a), await oracle());
    expect(a.probe.rows).toBe(LLM_DOCS.length);
    // B has an empty memory cache; Redis holds A's default-instruction scores only.
    expectOracle(await rerank(b, INSTRUCTION), await oracle({ instruction: INSTRUCTION }));
    expect(b.probe.rows).toBe(LLM_DOCS.length);
    // B's default-instruction request is A's: served from Redis, nothing computed.
    expectOracle(await rerank(b), await oracle());
    expect(b.probe.rows).toBe(LLM_DOCS.length);
    // And A gets B's instructed scores from Redis.
    expectOracle(await rerank(a, INSTRUCTION), await oracle({ instruction: INSTRUCTION }));
    expect(a.probe.rows).toBe(LLM_DOCS.length);
  });
});
