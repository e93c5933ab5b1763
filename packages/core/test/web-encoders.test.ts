import { maxAbsDiff, type PresetName, referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/index';
import { createWebReranker } from '../src/web/index';
import { type ModelServer, serveModelFolder } from './web-server';

// The web backend (onnxruntime-web, wasm) on the exports of the two-input encoders: ModernBERT (rotary
// attention with a sliding window shorter than the pairs) and DeBERTa-v3 (disentangled attention with
// log-bucketed relative positions past the exact range). Scores are checked against the testkit's
// float64 reference.
const query = 'how do tides work';
const documents = [
  'the moon pulls the oceans toward it while the earth turns beneath them',
  'a recipe for lemon cake',
  'tides rise and fall twice a day along most coasts of the world',
];

describe.each(['tiny-modernbert', 'tiny-deberta'] satisfies PresetName[])('%s on wasm', (preset) => {
  let server: ModelServer;
  let dir: string;
  beforeAll(async () => {
    dir = await synthesizedModelDir(preset);
    server = await serveModelFolder(dir);
  });
  afterAll(() => server.close());

  it('scores within 1e-5 of the reference, alone or batched', async () => {
    const reranker = await createWebReranker({
      logger: silentLogger,
      numThreads: 1,
      cacheName: false,
      model: `${server.url}/models/tiny/`, // the test server serves any folder under /models/tiny/
    });
    try {
      const expected = await referencePairScores(dir, query, documents);
      const batched = await reranker.score(documents.map((document) => ({ query, document })));
      const alone = [];
      for (const document of documents) alone.push(...(await reranker.score([{ query, document }])));
      expect(maxAbsDiff(batched, expected)).toBeLessThan(1e-5);
      expect(maxAbsDiff(alone, expected)).toBeLessThan(1e-5);
      expect(Math.max(...expected) - Math.min(...expected)).toBeGreaterThan(1e-3); // able to fail
      expect(await reranker.info()).toMatchObject({ backend: 'onnxruntime-web', device: 'wasm' });
    } finally {
      await reranker.dispose();
    }
  });
});
