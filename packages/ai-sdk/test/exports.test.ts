import { expect, it } from 'vitest';
import * as adapter from '../src/index';

// The public API is deliberate: adding or removing a runtime export must change this list on purpose.
it('@reranker/ai-sdk exports exactly its public API', () => {
  expect(Object.keys(adapter).sort()).toEqual(['localReranker', 'rerankerServer']);
});

it('importing the package does not load @reranker/node (onnxruntime) before a local model runs', async () => {
  const source = await import('node:fs/promises').then((fs) =>
    Promise.all(
      ['index', 'local', 'local-errors', 'options', 'server'].map((f) =>
        fs.readFile(new URL(`../src/${f}.ts`, import.meta.url), 'utf8'),
      ),
    ),
  );
  const staticImports = source.flatMap((text) => [
    ...text.matchAll(/^import\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms),
  ]);
  expect(staticImports.map((m) => m[1])).not.toContain('@reranker/node');
  expect(source.join('\n')).toContain("import('@reranker/node')");
});
