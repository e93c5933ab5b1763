import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { synthesizedModelDir, synthesizedQwen3Dir } from '@reranker/testkit';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DecoderLayout, decoderGraphLayout } from '../src/kinds/decoder-graph';
import type { BackendKindInfo } from '../src/kinds/kind';
import { probeBatch, probeSession } from '../src/web/probe';
import { graphSignature } from '../src/web/session';

// The load-time probe the web backend runs on WebGPU (a graph whose kernels WebGPU refuses then fails
// at load and the next candidate takes over). WebGPU is not in Node: the probe runs on wasm sessions
// here (it must pass on every graph the engine runs), and on fake sessions for the failures. The
// browser test (examples/browser) runs it on SwiftShader's WebGPU with a graph it refuses.

const CROSS: BackendKindInfo = {
  name: 'cross-encoder',
  numLabels: 1,
  graph: { inputs: 'pair' },
  padTokenId: 0,
};

beforeAll(() => {
  ort.env.wasm.numThreads = 1;
});

const sessions: ort.InferenceSession[] = [];
afterAll(async () => {
  await Promise.all(sessions.map((s) => s.release()));
});
async function session(path: string): Promise<ort.InferenceSession> {
  const created = await ort.InferenceSession.create(await readFile(path), { executionProviders: ['wasm'] });
  sessions.push(created);
  return created;
}

/** A session whose run fails as onnxruntime-web's WebGPU MultiHeadAttention kernel does, or returns `logits`. */
function fakeSession(outcome: Error | Float32Array): ort.InferenceSession {
  return {
    inputNames: ['input_ids', 'attention_mask'],
    outputNames: ['logits'],
    run: async () => {
      if (outcome instanceof Error) throw outcome;
      return { logits: new ort.Tensor('float32', outcome, [2, 1]) };
    },
    release: async () => undefined,
  } as unknown as ort.InferenceSession;
}

describe('probeBatch', () => {
  it('is two rows of three tokens with the second padded; decoders get a prefix', () => {
    const batch = probeBatch({ ...CROSS, padTokenId: 7 });
    expect(batch).toMatchObject({ rows: 2, width: 3 });
    expect([...batch.inputIds]).toEqual([1n, 1n, 1n, 1n, 1n, 7n]);
    expect([...batch.attentionMask]).toEqual([1n, 1n, 1n, 1n, 1n, 0n]);
    expect(batch.prefix).toBeUndefined();
    const decoder = probeBatch({
      ...CROSS,
      name: 'decoder-yes-no',
      numLabels: 2,
      graph: { inputs: 'prefix-cache' },
    });
    expect(decoder.prefix?.inputIds).toHaveLength(2);
  });
});

describe('probeSession passes on the graphs the engine runs', () => {
  it.each(['standard', 'fused'] as const)('tiny, %s operators', async (operators) => {
    const dir = await synthesizedModelDir('tiny', { layout: { operators } });
    const loaded = await session(join(dir, 'onnx', 'model.onnx'));
    await expect(
      probeSession(loaded, { device: 'wasm', kind: CROSS, what: 'tiny' }),
    ).resolves.toBeUndefined();
  });

  it.each([
    ['prefix', { prefixGraph: true }],
    ['causal-lm', { onnxCommunityExport: true }],
  ] as const)('tiny-qwen3, %s graph', async (type, options) => {
    const dir = await synthesizedQwen3Dir('tiny-qwen3', options);
    const vocab = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')).model.vocab;
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    const kind: BackendKindInfo = {
      name: 'decoder-yes-no',
      numLabels: 2,
      graph: { inputs: 'prefix-cache' },
      labelTokenIds: { no: vocab.no, yes: vocab.yes },
      padTokenId: config.pad_token_id ?? 0,
    };
    const loaded = await session(join(dir, 'onnx', 'model.onnx'));
    const layout: DecoderLayout = decoderGraphLayout(graphSignature(loaded), kind, config, 'onnx/model.onnx');
    expect(layout.type).toBe(type);
    await expect(
      probeSession(loaded, { device: 'wasm', kind, decoderLayout: layout, what: 'tiny-qwen3' }),
    ).resolves.toBeUndefined();
  });
});

describe('probeSession failures are BACKEND_UNAVAILABLE at load', () => {
  it('a kernel that refuses the graph, with what to do about a fused MultiHeadAttention', async () => {
    const refused = fakeSession(
      new Error(
        '[WebGPU] Kernel "[MultiHeadAttention] MultiHeadAttention_41" failed. Error: Mask not supported',
      ),
    );
    const error = await probeSession(refused, {
      device: 'webgpu',
      kind: CROSS,
      what: 'onnx/model.onnx of m',
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: expect.stringMatching(
        /^onnxruntime-web's webgpu provider cannot run onnx\/model\.onnx of m: a probe batch at load failed \(.*Mask not supported\)\. Its com\.microsoft MultiHeadAttention nodes take a key_padding_mask/,
      ),
    });
  });

  it('another failure, without a hint', async () => {
    const error = await probeSession(fakeSession(new Error('out of memory')), {
      device: 'webgpu',
      kind: CROSS,
      what: 'm',
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: expect.stringMatching(/out of memory\)$/),
    });
  });

  it('non-finite logits', async () => {
    const error = await probeSession(fakeSession(Float32Array.from([0.5, Number.NaN])), {
      device: 'webgpu',
      kind: CROSS,
      what: 'm',
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: expect.stringMatching(/non-finite logits for m/),
    });
  });
});
