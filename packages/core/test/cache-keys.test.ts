import { describe, expect, it } from 'vitest';
import { type PairKeyContext, pairKeys, pairNamespace } from '../src/cache/keys';

const context: PairKeyContext = {
  modelId: 'Xenova/ms-marco-MiniLM-L-6-v2',
  revision: 'main',
  fingerprint: '3f1c0a9b2e7d'.padEnd(64, '0'),
  dtype: 'fp32',
  maxLength: 512,
  truncation: 'only_second',
  maxQueryTokens: 64,
};

async function keyOf(ctx: PairKeyContext, query: string, document: string): Promise<string> {
  const [key] = await pairKeys(ctx, query, [document]);
  return key!;
}

describe('pairNamespace', () => {
  it('names the model, revision and content readably', () => {
    expect(pairNamespace(context)).toBe('reranker:v2:Xenova/ms-marco-MiniLM-L-6-v2@main:3f1c0a9b2e7d');
  });

  it('replaces separator and glob characters', () => {
    const namespace = pairNamespace({
      ...context,
      modelId: 'my:model*?[1] x',
      revision: 'a@b',
      fingerprint: 'x*y:z',
    });
    expect(namespace).toBe('reranker:v2:my_model___1__x@a_b:x_y_z');
  });
});

describe('pairKeys', () => {
  it('gives one namespaced sha256 key per document, in order', async () => {
    const keys = await pairKeys(context, 'q', ['a', 'b', 'a']);
    expect(keys).toHaveLength(3);
    for (const key of keys)
      expect(key).toMatch(/^reranker:v2:Xenova\/ms-marco-MiniLM-L-6-v2@main:3f1c0a9b2e7d:[0-9a-f]{64}$/);
    expect(keys[0]).toBe(keys[2]);
    expect(keys[0]).not.toBe(keys[1]);
    expect(keys[0]).toBe(await keyOf(context, 'q', 'a'));
    expect(keys[1]).toBe(await keyOf(context, 'q', 'b'));
  });

  it('is stable for identical input', async () => {
    const first = await pairKeys({ ...context }, 'what is a reranker', ['doc one', 'doc two']);
    const second = await pairKeys({ ...context }, 'what is a reranker', ['doc one', 'doc two']);
    expect(second).toEqual(first);
  });

  it('returns no keys for no documents', async () => {
    expect(await pairKeys(context, 'q', [])).toEqual([]);
  });

  it.each([
    ['modelId', { modelId: 'BAAI/bge-reranker-base' }],
    ['revision', { revision: 'abc123' }],
    // Same id and revision, other content (a folder replaced in place): the first 12 characters agree.
    ['fingerprint', { fingerprint: '3f1c0a9b2e7d'.padEnd(64, '1') }],
    ['dtype', { dtype: 'q8' }],
    ['maxLength', { maxLength: 256 }],
    ['truncation', { truncation: 'longest_first' }],
    ['maxQueryTokens', { maxQueryTokens: 63 }],
  ] as const)('changes when %s changes', async (_field, change) => {
    const base = await keyOf(context, 'q', 'd');
    expect(await keyOf({ ...context, ...change }, 'q', 'd')).not.toBe(base);
  });

  it('changes when the query or the document changes', async () => {
    const base = await keyOf(context, 'query', 'document');
    expect(await keyOf(context, 'query ', 'document')).not.toBe(base);
    expect(await keyOf(context, 'Query', 'document')).not.toBe(base);
    expect(await keyOf(context, 'query', 'document.')).not.toBe(base);
  });

  it('is unambiguous when text moves across a field boundary', async () => {
    expect(await keyOf(context, 'ab', 'c')).not.toBe(await keyOf(context, 'a', 'bc'));
    expect(await keyOf(context, 'a","b', 'c')).not.toBe(await keyOf(context, 'a', 'b","c'));
    const shifted = await keyOf({ ...context, dtype: 'fp3', truncation: '2only_second' }, 'q', 'd');
    expect(shifted).not.toBe(await keyOf(context, 'q', 'd'));
    const movedIntoQuery = await keyOf({ ...context, truncation: 'only_' }, 'second' + 'q', 'd');
    expect(movedIntoQuery).not.toBe(await keyOf(context, 'q', 'd'));
  });

  it('keeps distinct lone surrogates apart', async () => {
    expect(await keyOf(context, 'q', '\uD800')).not.toBe(await keyOf(context, 'q', '\uDBFF'));
  });

  it('hashes 1000 documents, each as it would be hashed alone', async () => {
    const documents = Array.from({ length: 1000 }, (_, i) => `passage number ${i} `.repeat(20));
    const keys = await pairKeys(context, 'q', documents);
    expect(new Set(keys).size).toBe(1000);
    expect(keys[737]).toBe(await keyOf(context, 'q', documents[737]!));
  });
});
