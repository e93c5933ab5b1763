import { describe, expect, it } from 'vitest';
import { JsonScan } from '../src/middleware/json-scan';

/** Scans `text` fed in pieces of `size` bytes (1 splits every string, escape and key across chunks). */
function scan(text: string, maxDepth = 32, size = Number.POSITIVE_INFINITY): JsonScan {
  const bytes = Buffer.from(text);
  const result = new JsonScan(maxDepth);
  const step = Math.min(size, bytes.length || 1);
  for (let i = 0; i < bytes.length; i += step) result.write(bytes.subarray(i, i + step));
  return result;
}

const keys = (s: JsonScan) => [...s.topLevelKeys].sort();

describe('JsonScan', () => {
  const body = JSON.stringify({
    query: 'q "texts": [',
    texts: ['a "model": 1', 'b\\'],
    nested: { top_n: 1, model: 'x', arr: [{ top_k: 2 }] },
    'esc\u0061ped': true,
    ' spaced ': 1,
  });

  it.each([1, 2, 3, 7, 64, Number.POSITIVE_INFINITY])(
    'finds exactly the top-level keys, whatever the chunking (%s bytes)',
    (size) => {
      expect(keys(scan(body, 32, size))).toEqual([' spaced ', 'escaped', 'nested', 'query', 'texts']);
    },
  );

  it('decodes escaped keys as JSON.parse does', () => {
    expect(keys(scan('{"te\\u0078ts": [], "a\\"b": 1, "c\\\\": 2}', 32, 1))).toEqual(['a"b', 'c\\', 'texts']);
  });

  it('sees keys with whitespace anywhere between tokens', () => {
    const text = ' {\n\t"model" :\r\n "m" ,\n  "top_n"\n:\n3 }  ';
    expect(keys(scan(text))).toEqual(['model', 'top_n']);
  });

  it('finds no keys when the top level is not an object', () => {
    expect(keys(scan('[{"texts": 1}]'))).toEqual([]);
    expect(keys(scan('"texts"'))).toEqual([]);
  });

  it('allows nesting up to the limit and names the first container past it', () => {
    expect(scan('{"a": {"b": [1, [2]]}}', 4).tooDeep).toBeUndefined();
    expect(scan('{"a": {"b": [1, [2]]}}', 3).tooDeep).toBe('a.b[1]');
    const doc = { query: 'q', documents: ['x', { text: 't', meta: { tags: [[['deep']]] } }] };
    expect(scan(JSON.stringify(doc), 5, 3).tooDeep).toBe('documents[1].meta.tags[0]');
    expect(scan('[[[]]]', 2).tooDeep).toBe('[0][0]');
  });

  it('walks 1 000 000 levels without recursion and still finds later keys', () => {
    const deep = `{"documents": [${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}], "texts": []}`;
    const result = scan(deep, 32, 65_536);
    expect(result.tooDeep).toBe(`documents${'[0]'.repeat(31)}`);
    expect(keys(result)).toEqual(['documents', 'texts']);
  });

  it('cuts very long keys so they name nothing', () => {
    const long = 't'.repeat(500);
    const result = scan(`{"${long}": {"x": [[]]}}`, 2);
    expect(keys(result)[0]).toMatch(/^t{128}…$/);
    expect(result.tooDeep).toMatch(/^t{128}…\.x$/);
  });
});
