import { join } from 'node:path';
import {
  maxAbsDiff,
  type PresetName,
  referencePairScores,
  type SynthesizedLayout,
  synthesizedModelDir,
} from '@reranker/testkit';
import { describe, expect, it } from 'vitest';
import { DOCS, QUERY } from './helpers/pairs';
import { useWorkspace } from './helpers/workspace';

/**
 * ModernBERT cross-encoders (gte-reranker-modernbert-base's layout) on onnxruntime-node, from a
 * published-style ONNX export and from safetensors only (graph built at load): scores within 1e-5 of
 * the testkit's float64 reference, and independent of what shares the batch, with pairs longer than
 * the sliding window.
 */

const { dir: workDir, load } = useWorkspace('modernbert');

const cases: [PresetName, SynthesizedLayout][] = [
  ['tiny-modernbert', { onnx: 'inline' }],
  ['tiny-modernbert', { onnx: 'none' }],
  ['tiny-modernbert-cls', { onnx: 'inline' }],
  ['tiny-modernbert-cls', { onnx: 'none', weightsDtype: 'BF16', shards: 2 }],
];

describe.each(cases)('%s (%j)', (preset, layout) => {
  it('scores within 1e-5 of the reference, batch-invariant with pairs longer than the window', async () => {
    const dir = await synthesizedModelDir(preset, { layout });
    const { reranker, logger } = await load({
      model: dir,
      cacheDir: join(workDir(), `${preset}-${layout.onnx}-cache`),
      cacheEnabled: false,
      batchSize: 8,
    });
    expect(logger.lines.filter((l) => l.startsWith('built the ONNX graph'))).toHaveLength(
      layout.onnx === 'none' ? 1 : 0,
    );
    const expected = await referencePairScores(dir, QUERY, DOCS);
    const alone = [];
    for (const doc of DOCS) alone.push(...(await reranker.score([[QUERY, doc]])));
    const together = await reranker.score([
      ...DOCS.map((d) => [QUERY, d] as const),
      [QUERY, 'magnet '.repeat(120)] as const,
    ]);
    expect(maxAbsDiff(alone, expected)).toBeLessThan(1e-5);
    expect(maxAbsDiff(together.slice(0, DOCS.length), alone)).toBeLessThan(1e-5);
    expect(Math.max(...expected) - Math.min(...expected)).toBeGreaterThan(1e-3); // able to fail
    expect(await reranker.info()).toMatchObject({ backend: 'onnxruntime-node' });
  });
});
