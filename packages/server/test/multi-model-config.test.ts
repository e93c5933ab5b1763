import { isRerankerError } from '@reranker/core';
import { describe, expect, it } from 'vitest';
import { loadServerConfig } from '../src/config';
import { loadModelSpecs } from '../src/models/spec';

/** The specs from these variables, with the models file read from `files` by path. */
function specs(env: Record<string, string>, files: Record<string, string> = {}) {
  return loadModelSpecs(loadServerConfig(env), (path) => {
    const text = files[path];
    if (text === undefined) throw new Error(`ENOENT: no such file, open '${path}'`);
    return text;
  });
}

function failure(run: () => unknown): { message: string; errors: string[] } {
  try {
    run();
  } catch (error) {
    expect(isRerankerError(error, 'INVALID_CONFIG')).toBe(true);
    const e = error as Error & { details: { errors: string[] } };
    return { message: e.message, errors: e.details.errors };
  }
  throw new Error('expected INVALID_CONFIG');
}

const YAML = `
models:
  minilm:
    aliases: [rerank-english-v3.0]
    maxParallel: 2
  bge:
    source: ./models/bge
    dtype: fp16
    maxLength: 256
    batchSize: auto
    maxQueue: 0
    preload: true
  qwen:
    source: Qwen/Qwen3-Reranker-0.6B
    instruction: Given a web search query, retrieve relevant passages
    weight: 0.5
`;

describe('RERANKER_MODELS and RERANKER_MODELS_FILE', () => {
  it('RERANKER_MODEL alone: no model list (one model, as before)', () => {
    expect(specs({ RERANKER_MODEL: './m' })).toBeUndefined();
  });

  it('reads name=source pairs; the first is the default and the only one preloaded', () => {
    expect(specs({ RERANKER_MODELS: 'minilm=Xenova/ms-marco-MiniLM-L-6-v2, bge=./models/bge' })).toEqual([
      { name: 'minilm', source: 'Xenova/ms-marco-MiniLM-L-6-v2', aliases: [], preload: true },
      { name: 'bge', source: './models/bge', aliases: [], preload: false },
    ]);
  });

  it('merges a YAML file: sources from the pairs, settings from the file, file-only models after', () => {
    const got = specs(
      {
        RERANKER_MODELS: 'minilm=Xenova/ms-marco-MiniLM-L-6-v2',
        RERANKER_MODELS_FILE: 'models.yaml',
        RERANKER_DEFAULT_MODEL: 'qwen',
      },
      { 'models.yaml': YAML },
    );
    expect(got).toEqual([
      {
        name: 'minilm',
        source: 'Xenova/ms-marco-MiniLM-L-6-v2',
        aliases: ['rerank-english-v3.0'],
        maxParallel: 2,
        preload: false,
      },
      {
        name: 'bge',
        source: './models/bge',
        dtype: 'fp16',
        maxLength: 256,
        batchSize: 'auto',
        maxQueue: 0,
        aliases: [],
        preload: true,
      },
      {
        name: 'qwen',
        source: 'Qwen/Qwen3-Reranker-0.6B',
        instruction: 'Given a web search query, retrieve relevant passages',
        weight: 0.5,
        aliases: [],
        preload: true,
      },
    ]);
  });

  it('reads JSON files, where a bare string is the source', () => {
    const json = JSON.stringify({ models: { a: './a', b: { source: './b', aliases: ['bee'] } } });
    expect(
      specs({ RERANKER_MODELS_FILE: 'm.json' }, { 'm.json': json })?.map((s) => [
        s.name,
        s.source,
        s.aliases,
      ]),
    ).toEqual([
      ['a', './a', []],
      ['b', './b', ['bee']],
    ]);
  });

  it('one error names every bad entry of the file, and every field wrong in it', () => {
    const bad = `
models:
  good: ./good
  bad-dtype: { source: ./x, dtype: fp8 }
  bad-numbers: { source: ./y, maxParallel: 0, maxLength: "long", weight: 0 }
  typo: { source: ./z, prelaod: true }
  nosource: { aliases: [x] }
  taken: { source: ./t, aliases: [good] }
  "../escape": ./e
`;
    const { message, errors } = failure(() =>
      specs({ RERANKER_MODELS_FILE: 'bad.yaml' }, { 'bad.yaml': bad }),
    );
    expect(errors).toHaveLength(6);
    expect(message).toContain('6 problems');
    for (const part of [
      /models\.bad-dtype: dtype: /,
      /models\.bad-numbers: maxLength: .*, weight: .*, maxParallel: /,
      /models\.typo: .*prelaod/,
      /models\.\.\.\/escape: .*model name is letters, digits/,
      /models\.nosource: has no source/,
      /models\.taken: alias "good" already names good/,
    ]) {
      expect(
        errors.some((line) => part.test(line)),
        String(part),
      ).toBe(true);
    }
  });

  it('rejects names that are paths or URLs, an unknown default, and a file that cannot be read', () => {
    expect(() => loadServerConfig({ RERANKER_MODELS: './models/bge=./models/bge' })).toThrow(
      /RERANKER_MODELS=/,
    );
    expect(() => loadServerConfig({ RERANKER_MODELS: 'https://x.org/m=./m' })).toThrow(/RERANKER_MODELS=/);
    expect(() => loadServerConfig({ RERANKER_MODELS: 'a=./a,A=./b' })).toThrow(/RERANKER_MODELS=/);
    const { errors } = failure(() =>
      specs({ RERANKER_MODELS: 'a=./a', RERANKER_DEFAULT_MODEL: 'b', RERANKER_MODELS_FILE: 'missing.yaml' }),
    );
    expect(errors).toEqual([
      expect.stringMatching(/^RERANKER_MODELS_FILE="missing.yaml" cannot be read: ENOENT/),
      'RERANKER_DEFAULT_MODEL="b" is not a configured model (configured: a)',
    ]);
  });

  it('reads the lifecycle variables', () => {
    expect(
      loadServerConfig({ MODEL_IDLE_UNLOAD_SECONDS: '1.5', MODEL_MEMORY_BUDGET_MB: '512' }),
    ).toMatchObject({
      modelIdleUnloadMs: 1500,
      modelMemoryBudgetBytes: 512 * 1024 * 1024,
    });
  });
});
