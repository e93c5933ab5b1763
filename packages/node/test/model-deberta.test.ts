import { join } from 'node:path';
import { type SynthesizedLayout, synthesizedModelDir } from '@reranker/testkit';
import { describe, expect, it } from 'vitest';
import { expectReferenceScores } from './helpers/assertions';
import { useWorkspace } from './helpers/workspace';

/**
 * DeBERTa-v3 cross-encoders (mixedbread-ai/mxbai-rerank-*-v1): the synthesized twin loads from an ONNX
 * export (two inputs: input_ids and attention_mask) and from safetensors only (graph built at load),
 * and scores within 1e-5 of the testkit's float64 reference, whatever the batch around a pair.
 */

const QUERY = 'which metals are magnetic';
// Mixed lengths: the longest pair is far past the 4-token exact range of tiny-deberta's buckets.
const DOCS = [
  'Iron, nickel and cobalt are ferromagnetic metals.',
  'No.',
  'The museum opens at nine on weekdays, and on Sundays it stays closed for cleaning until noon.',
  'Magnetite is a naturally magnetic iron oxide mineral found in many rocks around the world, ' +
    'and sailors once used lodestones made of it as the first compasses on long journeys.',
];

const { dir: workDir, load } = useWorkspace('deberta');

const layouts: [string, SynthesizedLayout][] = [
  ['ONNX export', { onnx: 'inline' }],
  ['safetensors only', { onnx: 'none' }],
];

describe.each(layouts)('tiny-deberta from %s on onnxruntime-node', (name, layout) => {
  it('scores within 1e-5 of the reference, the same in one mixed batch as one by one', async () => {
    const dir = await synthesizedModelDir('tiny-deberta', { layout });
    const { reranker, logger } = await load({
      model: dir,
      cacheDir: join(workDir(), name.replace(/\W+/g, '-')),
    });
    expect(await reranker.info()).toMatchObject({ backend: 'onnxruntime-node' });
    const built = logger.lines.filter((l) => l.startsWith('built the ONNX graph'));
    expect(built).toHaveLength(layout.onnx === 'none' ? 1 : 0);

    await expectReferenceScores(reranker, dir, QUERY, DOCS);
  });
});
