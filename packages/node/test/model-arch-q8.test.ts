import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { maxAbsDiff, type PresetName, referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import { describe, expect, it } from 'vitest';
import { createReranker } from '../src/index';
import { kendallTau } from './helpers/assertions';
import { useWorkspace } from './helpers/workspace';

/**
 * DeBERTa-v3 and ModernBERT twins with safetensors only, loaded with `dtype: 'q8'`: the int8 graph is
 * made at load (dynamic int8, per-channel weights, MatMulInteger) and stays near the float64
 * reference, keeping most of its ranking, while really differing from float32. Loose bounds, about
 * 1.5-2x the error measured on these random-weight twins (whose scores sit close together, so int8
 * noise reorders more than it would with trained weights).
 */

const QUERY = 'which metals are magnetic';
const DOCS = [
  'Iron, nickel and cobalt are ferromagnetic metals.',
  'No.',
  'Aluminium is not attracted to a fridge magnet.',
  'The museum opens at nine on weekdays, and on Sundays it stays closed for cleaning until noon.',
  'Magnetite is a naturally magnetic iron oxide mineral found in many rocks around the world.',
  'A compass needle is a small magnet that turns to point north.',
  'Bread rises because yeast makes carbon dioxide.',
  'Neodymium magnets are the strongest permanent magnets sold today.',
];

const { dir: workDir, open } = useWorkspace('arch-q8');

const cases: [PresetName, { maxDelta: number; minTau: number }][] = [
  // Measured (seed 42): max |Δ| 0.075, tau 0.86 against a reference spread of 0.21.
  ['tiny-deberta', { maxDelta: 0.15, minTau: 0.7 }],
  // Measured: max |Δ| 0.32, tau 0.71 against a spread of 2.17 (GeGLU's products widen the activation
  // range that one dynamic int8 scale covers).
  ['tiny-modernbert', { maxDelta: 0.5, minTau: 0.6 }],
];

describe.each(cases)('%s, safetensors only, dtype q8', (preset, bound) => {
  it('builds model_quantized.onnx at load, close to the reference and keeping its ranking', async () => {
    const dir = await synthesizedModelDir(preset, { layout: { onnx: 'none' } });
    const cacheDir = join(workDir(), `${preset}-cache`);
    const load = async (dtype: 'fp32' | 'q8') => {
      const reranker = await createReranker({ env: {}, model: dir, dtype, cacheDir, progress: 'none' });
      open.push(reranker);
      return reranker;
    };
    const pairs = DOCS.map((d) => [QUERY, d] as const);
    const int8 = await load('q8');
    const scores = await int8.score(pairs);
    const fp32 = await (await load('fp32')).score(pairs);
    const expected = await referencePairScores(dir, QUERY, DOCS);

    expect(maxAbsDiff(fp32, expected)).toBeLessThan(1e-5);
    expect(maxAbsDiff(scores, expected)).toBeLessThan(bound.maxDelta);
    expect(kendallTau(scores, expected)).toBeGreaterThanOrEqual(bound.minTau);
    // The bounds mean something: the reference spreads wider than the allowed error, and int8 differs.
    expect(Math.max(...expected) - Math.min(...expected)).toBeGreaterThan(bound.maxDelta);
    expect(maxAbsDiff(scores, fp32)).toBeGreaterThan(1e-4);

    const graphs = (await readdir(join(cacheDir, 'graphs'))).filter((n) => /^[0-9a-f]{32}$/.test(n));
    const built = await Promise.all(graphs.map((g) => readdir(join(cacheDir, 'graphs', g, 'onnx'))));
    expect(built.flat().sort()).toEqual(['model.onnx', 'model_quantized.onnx']);
  });
});
