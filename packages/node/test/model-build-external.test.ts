import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UnifiedReRanker } from '@reranker/core';
import { maxAbsDiff, referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import { describe, expect, it } from 'vitest';
import { onnxNodeBackend, openLocalModel } from '../src/index';
import { lineLogger } from './helpers/line-logger';
import { useWorkspace } from './helpers/workspace';

/**
 * The code path of checkpoints past 2 GB (bge-reranker-v2-m3) on a tiny model forced over the
 * threshold (`externalData: true`): the float32 graph is written with external data, and q8 / fp16
 * are made from such a graph read back, giving the same bytes as when made in memory. The real
 * 2.3 GB model runs in model-bge-m3.test.ts (behind an environment variable).
 */

const QUERY = 'which metals are magnetic';
const DOCS = [
  'Iron, nickel and cobalt are ferromagnetic metals.',
  'The museum opens at nine on weekdays.',
  'Magnetite is a naturally magnetic iron oxide mineral found in many rocks around the world.',
];

const { dir: workDir, open } = useWorkspace('build-external');

async function scores(files: Awaited<ReturnType<typeof openLocalModel>>, dtype: 'fp32' | 'q8' | 'fp16') {
  const reranker = await UnifiedReRanker.create({ model: files, dtype, backends: [onnxNodeBackend()] });
  open.push(reranker);
  return reranker.score(DOCS.map((d) => [QUERY, d] as const));
}

describe('graphs over the external-data threshold (forced small)', () => {
  it('fp32: written with external data, reused by a second load without a rebuild', async () => {
    const dir = await synthesizedModelDir('tiny-xlmr', { layout: { onnx: 'none' } });
    const cacheDir = join(workDir(), 'fp32-cache');
    const logger = lineLogger();
    const files = await openLocalModel(dir, 'fp32', dir, { cacheDir, externalData: true, logger });
    expect(Object.keys(files.localFiles ?? {}).sort()).toEqual(['onnx/model.onnx', 'onnx/model.onnx_data']);
    expect(maxAbsDiff(await scores(files, 'fp32'), await referencePairScores(dir, QUERY, DOCS))).toBeLessThan(
      1e-5,
    );
    const again = lineLogger();
    const second = await openLocalModel(dir, 'fp32', dir, { cacheDir, externalData: true, logger: again });
    expect(second.localFiles).toEqual(files.localFiles);
    expect(logger.lines.filter((l) => l.startsWith('built the ONNX graph'))).toHaveLength(1);
    expect(again.lines.filter((l) => /building|built the ONNX graph/.test(l))).toEqual([]);
  });

  // q8 never goes through a float32 graph: its weights are quantized as they stream from the checkpoint
  // (onnx-builder's build.test proves those bytes equal quantizeDynamicInt8 of the float32 graph).
  it.each([['fp16', 'onnx/model_fp16.onnx', 2e-3]] as const)(
    '%s: made from an external-data float32 graph, the same bytes as in memory',
    async (dtype, file, tolerance) => {
      const dir = await synthesizedModelDir('tiny', { layout: { onnx: 'none' } });
      const logger = lineLogger();
      const viaExternal = await openLocalModel(dir, dtype, dir, {
        cacheDir: join(workDir(), `${dtype}-external`),
        externalData: true,
        logger,
      });
      expect(
        logger.lines.some((l) => l.startsWith(`making ${dtype} from a float32 graph with external data`)),
      ).toBe(true);
      const inMemory = await openLocalModel(dir, dtype, dir, {
        cacheDir: join(workDir(), `${dtype}-memory`),
      });
      const built = viaExternal.localFiles![file]!;
      expect(Object.keys(viaExternal.localFiles ?? {})).toEqual([file]); // inline: no data file, no scratch left
      expect(await readdir(join(built, '..', '..'))).toEqual(['build.json', 'onnx']);
      expect(Buffer.compare(await readFile(built), await readFile(inMemory.localFiles![file]!))).toBe(0);
      // The bounds the testkit measured for its own int8 and fp16 variants (see its README).
      const expected = await referencePairScores(dir, QUERY, DOCS);
      expect(maxAbsDiff(await scores(viaExternal, dtype), expected)).toBeLessThan(tolerance);
    },
  );
});
