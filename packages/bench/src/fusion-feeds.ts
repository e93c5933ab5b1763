// The inputs both contenders of `reranker-bench fusion` score.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PRESETS, type PresetName, SeededRandom } from '@reranker/testkit';
import * as ort from 'onnxruntime-node';
import type { FusionOptions } from './fusion-types';

/**
 * One batch of `batchSize` rows of `pairTokens` random token ids (with `padded`, every second row's
 * last quarter is padding): graph speed does not depend on which tokens, and both contenders get the
 * same tensors.
 */
export async function fixedFeeds(
  session: ort.InferenceSession,
  dir: string,
  preset: PresetName,
  options: FusionOptions,
): Promise<Record<string, ort.Tensor>> {
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as { vocab_size: number };
  const rng = new SeededRandom(7);
  const size = options.batchSize * options.pairTokens;
  const dims = [options.batchSize, options.pairTokens];
  const ids = BigInt64Array.from({ length: size }, () =>
    BigInt(5 + Math.floor(rng.uniform() * (config.vocab_size - 5))),
  );
  const types = BigInt64Array.from({ length: size }, (_, i) =>
    i % options.pairTokens < options.pairTokens / 2 ? 0n : 1n,
  );
  const byName: Record<string, BigInt64Array> = {
    input_ids: ids,
    attention_mask: BigInt64Array.from({ length: size }, (_, i) => {
      const row = Math.floor(i / options.pairTokens);
      const padding =
        options.padded && row % 2 === 1 && i % options.pairTokens >= (options.pairTokens * 3) / 4;
      return padding ? 0n : 1n;
    }),
    token_type_ids: PRESETS[preset].typeVocabSize > 1 ? types : new BigInt64Array(size),
  };
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of session.inputNames) feeds[name] = new ort.Tensor('int64', byName[name]!, dims);
  return feeds;
}
