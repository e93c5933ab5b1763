import { referenceDecoderBackend } from '@reranker/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  type BackendCandidate,
  MAX_INSTRUCTION_BYTES,
  type ModelFiles,
  UnifiedReRanker,
  validateInstruction,
} from '../src/index';
import { localQwen3 } from './decoder-helpers';
import { deferred, disposedAfterEach, localModel, newProbe, probedReference } from './helpers';

// The one rule for a call's instruction (servers apply the same function before a request queues),
// and the engine applying it before a call takes a slot or runs a batch.

const refused = { code: 'INVALID_INPUT', details: { field: 'instruction' } };
const llm = { kind: 'decoder-yes-no', name: 'm' } as const;

describe('validateInstruction', () => {
  it('passes an absent instruction for every kind, and the text as given to LLM rerankers', () => {
    for (const kind of ['cross-encoder', 'decoder-yes-no', 'decoder-seq-cls', undefined] as const) {
      expect(validateInstruction(undefined, { kind, name: 'm' })).toBeUndefined();
    }
    expect(validateInstruction(' Find answers ', llm)).toBe(' Find answers ');
    expect(validateInstruction('x', { kind: 'decoder-seq-cls', name: 'm' })).toBe('x');
  });

  it(`takes ${MAX_INSTRUCTION_BYTES} UTF-8 bytes, not one more`, () => {
    expect(MAX_INSTRUCTION_BYTES).toBe(4096);
    expect(validateInstruction('é'.repeat(2048), llm)).toHaveLength(2048); // 4096 bytes
    for (const over of ['é'.repeat(2049), 'x'.repeat(4097), '🙂'.repeat(1025)]) {
      expect(() => validateInstruction(over, llm)).toThrow(
        expect.objectContaining({ ...refused, message: 'instruction: must be at most 4096 bytes (UTF-8).' }),
      );
    }
  });

  it('refuses an empty or blank one, and one that is not a string', () => {
    for (const blank of ['', ' \n\t ']) {
      expect(() => validateInstruction(blank, llm)).toThrow(
        expect.objectContaining({
          ...refused,
          message: expect.stringMatching(/^instruction: must not be empty/),
        }),
      );
    }
    expect(() => validateInstruction(3, llm)).toThrow(
      expect.objectContaining({ ...refused, message: 'instruction must be a string, got number.' }),
    );
  });

  it('a cross-encoder takes none; a model of unknown kind has only its text checked', () => {
    expect(() => validateInstruction('x', { kind: 'cross-encoder', name: 'acme/ce' })).toThrow(
      expect.objectContaining({
        ...refused,
        message: expect.stringMatching(
          /^instruction applies to LLM rerankers .* acme\/ce is a cross-encoder/,
        ),
      }),
    );
    expect(validateInstruction('x', { name: 'not loaded' })).toBe('x');
    expect(() => validateInstruction('', { name: 'not loaded' })).toThrow(expect.objectContaining(refused));
  });
});

const open = disposedAfterEach();

describe.each([
  ['a cross-encoder', () => localModel('tiny'), 'reference', undefined, 'x'],
  ['an LLM reranker', () => localQwen3('tiny-qwen3'), 'reference-decoder', referenceDecoderBackend, ''],
])('%s refuses a bad instruction before it queues', (_name, model, backend, inner, instruction) => {
  it('with the only slot busy and no queue: INVALID_INPUT (not QUEUE_FULL), no batch run', async () => {
    const probe = newProbe();
    const gate = deferred();
    probe.gate = gate.promise;
    onTestFinished(() => gate.resolve()); // a failed test must not leave the run held
    const reranker = await UnifiedReRanker.create({
      model: (await model()) as ModelFiles,
      backends: [probedReference(probe, backend, inner?.() as unknown as BackendCandidate | undefined)],
      maxParallel: 1,
      maxQueue: 0,
    });
    open.push(reranker);
    const running = reranker.rerank('q', ['d']);
    await expect.poll(() => probe.runs).toBe(1);

    await expect(reranker.rerank('q', ['d', 'e'], { instruction })).rejects.toMatchObject(refused);
    await expect(reranker.score([{ query: 'q', document: 'd' }], { instruction })).rejects.toMatchObject(
      refused,
    );
    expect(reranker.stats().controller).toMatchObject({ active: 1, waiting: 0 });
    expect(probe.runs).toBe(1);

    gate.resolve();
    expect(await running).toHaveLength(1);
    expect(probe.rows).toBe(1);
  });
});
