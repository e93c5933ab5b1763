import type { ChatMessage, LLMMetadata } from '@llamaindex/core/llms';
import { BaseLLM } from '@llamaindex/core/llms';
import { RetrieverQueryEngine } from '@llamaindex/core/query-engine';
import { getResponseSynthesizer } from '@llamaindex/core/response-synthesizers';
import { BaseRetriever } from '@llamaindex/core/retriever';
import { MetadataMode, type NodeWithScore, TextNode } from '@llamaindex/core/schema';
import { extractText } from '@llamaindex/core/utils';
import { isRerankerError } from '@reranker/core';
import { startTestServer, type TestServer } from '@reranker/server/testing';
import { referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RerankerPostprocessor, type RerankerPostprocessorOptions } from '../src/index';

// Over a synthesized model (random weights) the order means nothing: these tests check the top n,
// best first, and the scores against the testkit's reference forward pass.
const TEXTS = [
  'Photovoltaic cells turn sunlight into an electric current.',
  'The bakery on the corner sells fresh bread every morning.',
  'Solar panels feed direct current to an inverter.',
  'Penguins live in the southern hemisphere.',
  'Wind turbines turn moving air into electricity.',
  'A heat pump moves heat from the outside air into a building.',
];
const NODES = TEXTS.map((text, i) => new TextNode({ id_: `n${i}`, text }));

/** A first-stage retriever that returns every node with the same score, as a keyword stage might. */
class AllNodesRetriever extends BaseRetriever {
  // biome-ignore lint/complexity/noUselessConstructor: BaseRetriever's constructor is protected; this makes it public
  constructor() {
    super();
  }
  async _retrieve(): Promise<NodeWithScore[]> {
    return NODES.map((node) => ({ node, score: 0.5 }));
  }
}

/** An LLM stand-in that answers with the length of its prompt: the pipeline runs whole, offline. */
class PromptLengthLLM extends BaseLLM {
  metadata: LLMMetadata = {
    model: 'prompt-length',
    temperature: 0,
    topP: 1,
    contextWindow: 4096,
    tokenizer: undefined,
    structuredOutput: false,
  };
  // biome-ignore lint/suspicious/noExplicitAny: one non-streaming implementation for BaseLLM's overloads
  async chat(params: { messages: ChatMessage[] }): Promise<any> {
    const prompt = params.messages.map((m) => extractText(m.content)).join('\n');
    return {
      message: { role: 'assistant', content: `prompt of ${prompt.length} chars` },
    };
  }
}

let dir: string;
let t: TestServer;
beforeAll(async () => {
  dir = await synthesizedModelDir('tiny');
  t = await startTestServer(dir);
});
afterAll(() => t?.close());

async function expected(query: string, texts = TEXTS) {
  const logits = await referencePairScores(dir, query, texts);
  return logits
    .map((logit, i) => ({ id: `n${i}`, relevance: 1 / (1 + Math.exp(-logit)) }))
    .sort((a, b) => b.relevance - a.relevance);
}

const ways: [string, () => RerankerPostprocessorOptions][] = [
  ['in-process', () => ({ reranker: t.reranker })],
  ['server', () => ({ baseURL: t.url })],
];

describe.each(ways)('%s', (name, options) => {
  it("in a RetrieverQueryEngine's nodePostprocessors: top n, best first, reference scores", async () => {
    const query = `How do solar panels produce electricity? (${name})`;
    const engine = new RetrieverQueryEngine(
      new AllNodesRetriever(),
      getResponseSynthesizer('compact', { llm: new PromptLengthLLM() }),
      [new RerankerPostprocessor({ ...options(), topN: 3 })],
    );
    const response = await engine.query({ query });
    expect(response.message.content).toMatch(/^prompt of \d+ chars$/);
    const nodes = response.sourceNodes ?? [];
    const want = (await expected(query)).slice(0, 3);
    expect(nodes.map((n) => n.node.id_)).toEqual(want.map((w) => w.id));
    nodes.forEach((n, i) => {
      expect(n.score).toBeCloseTo(want[i]!.relevance, 5);
    });
  });

  it('scoreThreshold, multi-part queries, metadata in the ranked text, and the empty list', async () => {
    const query = `Which passages are about energy? (${name})`;
    const all = await expected(query);
    const threshold = (all[1]!.relevance + all[2]!.relevance) / 2;
    const pp = new RerankerPostprocessor({ ...options(), topN: 5, scoreThreshold: threshold });
    const kept = await pp.postprocessNodes(
      NODES.map((node) => ({ node })),
      [{ type: 'text', text: query }],
    );
    expect(kept.map((n) => n.node.id_)).toEqual(all.slice(0, 2).map((w) => w.id));
    expect(await pp.postprocessNodes([], query)).toEqual([]);

    const tagged = TEXTS.map((text, i) => new TextNode({ id_: `n${i}`, text, metadata: { topic: `t${i}` } }));
    const withMetadata = await expected(
      query,
      tagged.map((n) => n.getContent(MetadataMode.EMBED)),
    );
    expect(tagged[0]!.getContent(MetadataMode.EMBED)).toContain('topic: t0');
    const ranked = await new RerankerPostprocessor({ ...options(), topN: 6 }).postprocessNodes(
      tagged.map((node) => ({ node })),
      query,
    );
    expect(ranked.map((n) => n.node.id_)).toEqual(withMetadata.map((w) => w.id));
    expect(ranked[0]!.score).toBeCloseTo(withMetadata[0]!.relevance, 5);
  });
});

it('builds its own engine from createReranker options and frees it on dispose()', async () => {
  const pp = new RerankerPostprocessor({ reranker: { model: dir, env: {}, progress: 'none' }, topN: 1 });
  const query = 'an engine of its own';
  const [best] = await pp.postprocessNodes(
    NODES.map((node) => ({ node })),
    query,
  );
  const [want] = await expected(query);
  expect(best!.node.id_).toBe(want!.id);
  expect(best!.score).toBeCloseTo(want!.relevance, 5);
  await pp.dispose();
});

it('a missing query and server failures are RerankerErrors', async () => {
  const pp = new RerankerPostprocessor({ baseURL: `${t.url}/nowhere` });
  await expect(pp.postprocessNodes([{ node: NODES[0]! }])).rejects.toSatisfy((e) =>
    isRerankerError(e, 'INVALID_INPUT'),
  );
  const error = await pp.postprocessNodes([{ node: NODES[0]! }], 'q').catch((e) => e);
  expect(isRerankerError(error, 'INVALID_CONFIG')).toBe(true);
});
