import { ContextualCompressionRetriever } from '@langchain/classic/retrievers/contextual_compression';
import { MemoryVectorStore } from '@langchain/classic/vectorstores/memory';
import { Document } from '@langchain/core/documents';
import { RunnableLambda } from '@langchain/core/runnables';
import { FakeEmbeddings } from '@langchain/core/utils/testing';
import { isRerankerError } from '@reranker/core';
import { startTestServer, type TestServer } from '@reranker/server/testing';
import { referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RerankerCompressor, type RerankerCompressorOptions } from '../src/index';

// Over a synthesized model (random weights) the order means nothing: these tests check the top n,
// best first, metadata kept, and the scores against the testkit's reference forward pass.
const TEXTS = [
  'Photovoltaic cells turn sunlight into an electric current.',
  'The bakery on the corner sells fresh bread every morning.',
  'Solar panels feed direct current to an inverter.',
  'Penguins live in the southern hemisphere.',
  'Wind turbines turn moving air into electricity.',
  'A heat pump moves heat from the outside air into a building.',
];

let dir: string;
let t: TestServer;
let store: MemoryVectorStore;
beforeAll(async () => {
  dir = await synthesizedModelDir('tiny');
  t = await startTestServer(dir);
  store = await MemoryVectorStore.fromDocuments(
    TEXTS.map((pageContent, i) => new Document({ pageContent, metadata: { source: `d${i}` } })),
    new FakeEmbeddings(),
  );
});
afterAll(() => t?.close());

/** Sources and relevance best first, by the reference forward pass. */
async function expected(query: string) {
  const logits = await referencePairScores(dir, query, TEXTS);
  return logits
    .map((logit, i) => ({ source: `d${i}`, relevance: 1 / (1 + Math.exp(-logit)) }))
    .sort((a, b) => b.relevance - a.relevance);
}

const ways: [string, () => RerankerCompressorOptions][] = [
  ['in-process', () => ({ reranker: t.reranker })],
  ['server', () => ({ baseURL: t.url })],
];

describe.each(ways)('%s', (_name, options) => {
  it('in a ContextualCompressionRetriever over a MemoryVectorStore: top n, best first, scores', async () => {
    const query = `How do solar panels produce electricity? (${_name})`;
    const retriever = new ContextualCompressionRetriever({
      baseCompressor: new RerankerCompressor({ ...options(), topN: 3 }),
      baseRetriever: store.asRetriever({ k: TEXTS.length }),
    });
    const documents = await retriever.invoke(query);
    const want = (await expected(query)).slice(0, 3);
    expect(documents.map((d) => d.metadata.source)).toEqual(want.map((w) => w.source));
    documents.forEach((d, i) => {
      expect(d.metadata.relevanceScore).toBeCloseTo(want[i]!.relevance, 5);
      expect(d.pageContent).toBe(TEXTS[Number(d.metadata.source.slice(1))]);
    });
  });

  it('scoreThreshold drops documents below it; scoreKey names the metadata field', async () => {
    const query = `Which passages are about energy? (${_name})`;
    const all = await expected(query);
    // Between the 2nd and 3rd best: exactly two pass.
    const threshold = (all[1]!.relevance + all[2]!.relevance) / 2;
    const compressor = new RerankerCompressor({
      ...options(),
      topN: 5,
      scoreThreshold: threshold,
      scoreKey: 'rerank',
    });
    const input = TEXTS.map((pageContent, i) => new Document({ pageContent, metadata: { source: `d${i}` } }));
    const kept = await compressor.compressDocuments(input, query);
    expect(kept.map((d) => d.metadata.source)).toEqual(all.slice(0, 2).map((w) => w.source));
    expect(kept[0]!.metadata.rerank).toBeCloseTo(all[0]!.relevance, 5);
    expect(input.every((d) => Object.keys(d.metadata).join() === 'source')).toBe(true);
    expect(await compressor.compressDocuments([], query)).toEqual([]);
  });

  it('in an LCEL chain: retriever | format', async () => {
    const query = `Where do penguins live? (${_name})`;
    const retriever = new ContextualCompressionRetriever({
      baseCompressor: new RerankerCompressor({ ...options(), topN: 2 }),
      baseRetriever: store.asRetriever({ k: TEXTS.length }),
    });
    const chain = retriever.pipe(
      RunnableLambda.from((docs: Document[]) => docs.map((d) => d.metadata.source).join(',')),
    );
    const want = (await expected(query)).slice(0, 2);
    expect(await chain.invoke(query)).toBe(want.map((w) => w.source).join(','));
  });
});

it('builds its own engine from createReranker options and frees it on dispose()', async () => {
  const compressor = new RerankerCompressor({ reranker: { model: dir, env: {}, progress: 'none' }, topN: 1 });
  const query = 'an engine of its own';
  const [best] = await compressor.compressDocuments(
    TEXTS.map((pageContent, i) => new Document({ pageContent, metadata: { source: `d${i}` } })),
    query,
  );
  const [want] = await expected(query);
  expect(best!.metadata).toEqual({
    source: want!.source,
    relevanceScore: expect.closeTo(want!.relevance, 5),
  });
  await compressor.dispose();
});

it('server failures are RerankerErrors; bad options are refused at construction', async () => {
  const wrongPath = new RerankerCompressor({ baseURL: `${t.url}/nowhere` });
  const error = await wrongPath.compressDocuments([new Document({ pageContent: 'x' })], 'q').catch((e) => e);
  expect(isRerankerError(error, 'INVALID_CONFIG')).toBe(true);
  expect(error.details).toMatchObject({ status: 404 });
  const unreachable = new RerankerCompressor({ baseURL: 'http://127.0.0.1:9' });
  const down = await unreachable.compressDocuments([new Document({ pageContent: 'x' })], 'q').catch((e) => e);
  expect(isRerankerError(down, 'BACKEND_UNAVAILABLE')).toBe(true);
  expect(() => new RerankerCompressor({ baseURL: t.url, topN: 0 })).toThrow(/topN/);
  expect(() => new RerankerCompressor({ baseURL: t.url, scoreThreshold: 2 })).toThrow(/scoreThreshold/);
});
