import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizedModelDir } from '../model-cache';
import type { PresetName } from '../presets';
import { loadReferenceModel, maxAbsDiff, type ReferenceModel, referenceLogits } from '../reference';
import type {
  BackendCandidateLike,
  BackendLike,
  BackendLoadOptionsLike,
  EncodedBatchLike,
  LoggerLike,
} from '../reference-backend';
import { SeededRandom } from '../rng';

export interface BackendSuiteSetup {
  /** A fresh candidate (each preset and the dispose test load their own backend). */
  candidate: () => BackendCandidateLike;
  /** @default ['tiny', 'tiny-2label', 'tiny-xlmr'] */
  presets?: PresetName[];
  /**
   * Operators of the graphs the backend loads: `standard` as hub exports hold them, `fused` as
   * @reranker/node builds them at load (an If taking flash attention when no row is padded, so "alone"
   * and "inside a padded batch" run different branches). @default 'standard'
   */
  operators?: 'standard' | 'fused';
}

/** One tokenized pair in the model's template, unpadded. */
interface Pair {
  ids: number[];
  types: number[];
}

const quiet: LoggerLike = { debug() {}, info() {}, warn() {}, error() {} };

/** What core passes to `load()` for a local fp32 model folder. */
async function loadOptions(dir: string): Promise<BackendLoadOptionsLike> {
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
  const read = async (path: string) => new Uint8Array(await readFile(join(dir, path)));
  const model = { id: dir, source: `local:${dir}`, revision: 'local', localDir: dir, read };
  return { model, config, dtype: 'fp32', logger: quiet };
}

/** BERT `[CLS] q [SEP] d [SEP]` with token types 0/1; XLM-R `<s> q </s></s> d </s>` with types 0. */
function makePair(model: ReferenceModel, rng: SeededRandom, queryLength: number, docLength: number): Pair {
  // Ordinary word ids of both tokenizers, clear of the special tokens.
  const body = (n: number) => Array.from({ length: n }, () => 110 + Math.floor(rng.uniform() * 1800));
  const q = body(queryLength);
  const d = body(docLength);
  if (model.config.model_type === 'bert') {
    const ids = [101, ...q, 102, ...d, 102];
    return { ids, types: ids.map((_, i) => (i < q.length + 2 ? 0 : 1)) };
  }
  const ids = [0, ...q, 2, 2, ...d, 2];
  return { ids, types: ids.map(() => 0) };
}

/** Pads on the right with the model's pad id (mask 0), in fresh arrays: a backend may transfer them. */
function encode(model: ReferenceModel, pairs: Pair[]): EncodedBatchLike {
  const width = Math.max(...pairs.map((p) => p.ids.length));
  const size = pairs.length * width;
  const batch = {
    rows: pairs.length,
    width,
    inputIds: new BigInt64Array(size).fill(BigInt(model.config.pad_token_id)),
    attentionMask: new BigInt64Array(size),
    tokenTypeIds: new BigInt64Array(size),
  };
  pairs.forEach((pair, r) => {
    pair.ids.forEach((id, t) => {
      batch.inputIds[r * width + t] = BigInt(id);
      batch.attentionMask[r * width + t] = 1n;
      batch.tokenTypeIds[r * width + t] = BigInt(pair.types[t]!);
    });
  });
  return batch;
}

/** Splits `rows × labels` logits into rows. */
function rowsOf(logits: Float32Array, labels: number): number[][] {
  return Array.from({ length: logits.length / labels }, (_, r) =>
    Array.from(logits.subarray(r * labels, (r + 1) * labels)),
  );
}

/**
 * Declares the tests every backend must pass against the float64 reference forward pass: parity on
 * padded batches, batch invariance, output shape, concurrent runs, abort and dispose.
 */
export function testBackend(name: string, setup: BackendSuiteSetup): void {
  const presets = setup.presets ?? ['tiny', 'tiny-2label', 'tiny-xlmr'];

  describe(`backend conformance: ${name}${setup.operators === 'fused' ? ' (fused graphs)' : ''}`, () => {
    describe.each(presets)('%s', (preset) => {
      let reference: ReferenceModel;
      let backend: BackendLike;
      let labels: number;
      const expected = (pair: Pair) =>
        referenceLogits(reference, { inputIds: pair.ids, tokenTypeIds: pair.types });

      beforeAll(async () => {
        const dir = await synthesizedModelDir(preset, {
          layout: { operators: setup.operators ?? 'standard' },
        });
        reference = await loadReferenceModel(dir);
        labels = Object.keys(reference.config.id2label).length;
        backend = await setup.candidate().load(await loadOptions(dir));
      });
      afterAll(async () => {
        await backend?.dispose();
      });

      it('matches the reference within 1e-4 on a padded batch of mixed lengths', async () => {
        const rng = new SeededRandom(7);
        const lengths = [
          [3, 4],
          [8, 60],
          [1, 1],
          [12, 25],
          [5, 9],
        ] as const;
        const pairs = lengths.map(([q, d]) => makePair(reference, rng, q, d));
        const got = rowsOf(await backend.run(encode(reference, pairs)), labels);
        pairs.forEach((pair, r) => {
          expect(maxAbsDiff(got[r]!, expected(pair)), `row ${r}`).toBeLessThan(1e-4);
        });
        // The check must be able to fail: rows differ from one another by far more than the tolerance.
        expect(maxAbsDiff(got[0]!, got[1]!)).toBeGreaterThan(1e-3);
      });

      it('gives a row the same logits alone and inside a mixed, padded batch', async () => {
        const rng = new SeededRandom(11);
        const short = makePair(reference, rng, 4, 6);
        const others = [makePair(reference, rng, 10, 90), makePair(reference, rng, 2, 30)];
        const alone = rowsOf(await backend.run(encode(reference, [short])), labels)[0]!;
        const mixed = rowsOf(
          await backend.run(encode(reference, [others[0]!, short, others[1]!])),
          labels,
        )[1]!;
        expect(maxAbsDiff(mixed, alone)).toBeLessThanOrEqual(1e-5);
      });

      it('returns rows × numLabels logits', async () => {
        const rng = new SeededRandom(13);
        for (const rows of [1, 3, 7]) {
          const pairs = Array.from({ length: rows }, (_, i) => makePair(reference, rng, 2 + i, 5 + 3 * i));
          const logits = await backend.run(encode(reference, pairs));
          expect(logits).toBeInstanceOf(Float32Array);
          expect(logits.length).toBe(rows * labels);
        }
      });

      it('resolves concurrent runs, each with its own rows', async () => {
        const rng = new SeededRandom(17);
        const batches = Array.from({ length: 5 }, (_, b) =>
          Array.from({ length: 1 + (b % 3) }, (_, i) => makePair(reference, rng, 3 + b, 4 + 7 * i + b)),
        );
        const results = await Promise.all(batches.map((pairs) => backend.run(encode(reference, pairs))));
        results.forEach((logits, b) => {
          const got = rowsOf(logits, labels);
          expect(got).toHaveLength(batches[b]!.length);
          batches[b]!.forEach((pair, r) => {
            expect(maxAbsDiff(got[r]!, expected(pair)), `batch ${b} row ${r}`).toBeLessThan(1e-4);
          });
        });
      });

      it('rejects a run whose signal is already aborted with ABORTED', async () => {
        const controller = new AbortController();
        controller.abort();
        const batch = encode(reference, [makePair(reference, new SeededRandom(19), 3, 3)]);
        await expect(backend.run(batch, { signal: controller.signal })).rejects.toMatchObject({
          code: 'ABORTED',
        });
      });
    });

    it('disposes idempotently and rejects runs after dispose with DISPOSED', async () => {
      const dir = await synthesizedModelDir(presets[0]!);
      const reference = await loadReferenceModel(dir);
      const backend = await setup.candidate().load(await loadOptions(dir));
      const batch = () => encode(reference, [makePair(reference, new SeededRandom(23), 3, 5)]);
      expect(await backend.run(batch())).toHaveLength(Object.keys(reference.config.id2label).length);
      await backend.dispose();
      await expect(backend.dispose()).resolves.toBeUndefined();
      await expect(backend.run(batch())).rejects.toMatchObject({ code: 'DISPOSED' });
    });
  });
}
