import { RerankerError } from '@reranker/core';
import { describe, expect, it } from 'vitest';
import { parseBackends, parseBatchSizes, parsePresets, parseTablePresets } from '../src/table-args';

describe('table arguments', () => {
  it('parses backends, trimming and dropping repeats', () => {
    expect(parseBackends(' cpu , wasm,cpu')).toEqual(['cpu', 'wasm']);
    expect(parseBackends('cpu,wasm,cuda,coreml,mlx')).toHaveLength(5);
  });

  it('rejects an unknown backend, naming it and every valid one', () => {
    const attempt = () => parseBackends('cpu,gpu');
    expect(attempt).toThrow(RerankerError);
    expect(attempt).toThrow(
      "unknown backend 'gpu': use a comma-separated list of cpu, wasm, cuda, coreml, mlx",
    );
    expect(() => parseBackends('')).toThrow(/unknown backend '': use .*cpu, wasm/);
  });

  it('rejects unknown presets, listing the presets', () => {
    expect(parsePresets('tiny,bge-base')).toEqual(['tiny', 'bge-base']);
    expect(() => parsePresets('minilm')).toThrow(/unknown preset 'minilm': use .*minilm-l6.*bge-base/);
  });

  it('table presets: cross-encoders and Qwen3 rerankers side by side; checkpoints stays cross-encoders', () => {
    expect(parseTablePresets('minilm-l6,qwen3-0.6b,tiny-qwen3')).toEqual([
      'minilm-l6',
      'qwen3-0.6b',
      'tiny-qwen3',
    ]);
    expect(() => parseTablePresets('qwen3')).toThrow(/unknown preset 'qwen3': use .*minilm-l6.*qwen3-0\.6b/);
    expect(() => parsePresets('qwen3-0.6b')).toThrow(/unknown preset 'qwen3-0.6b'/);
  });

  it('takes batch sizes from 1 to 512 only', () => {
    expect(parseBatchSizes('8,16,32,16')).toEqual([8, 16, 32]);
    for (const bad of ['0', '8,x', '1.5', '513', '']) {
      expect(() => parseBatchSizes(bad), bad).toThrow(/integers from 1 to 512/);
    }
  });
});
