import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Rolldown } from 'vite';
import { beforeAll, describe, expect, it } from 'vitest';

// The browser build of `@reranker/core/web`, bundled as an application's bundler would (platform
// browser), with onnxruntime-web left out: it is a peer the application bundles with its .wasm files.
const entry = join(import.meta.dirname, '../src/web/index.ts');
const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

let chunk: Rolldown.OutputChunk;
/** Every bare specifier the bundled code imports, with its importer. */
const specifiers: { specifier: string; importer: string | undefined }[] = [];

beforeAll(async () => {
  const result = await build({
    configFile: false,
    logLevel: 'silent',
    root: join(import.meta.dirname, '..'),
    build: {
      write: false,
      minify: true,
      lib: { entry, formats: ['es'], fileName: 'web' },
      rolldownOptions: { external: ['onnxruntime-web'] },
    },
    plugins: [
      {
        name: 'record-imports',
        enforce: 'pre',
        resolveId(specifier, importer) {
          if (!/^[./]/.test(specifier)) specifiers.push({ specifier, importer });
          return null;
        },
      },
    ],
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[];
  const chunks = outputs
    .flatMap((o) => o.output)
    .filter((o): o is Rolldown.OutputChunk => o.type === 'chunk');
  expect(chunks).toHaveLength(1);
  chunk = chunks[0]!;
});

describe('@reranker/core/web browser bundle', () => {
  it('imports no Node built-in module', () => {
    // Vite swaps built-ins for an empty stub in browser builds, so the imports themselves are checked.
    const offenders = specifiers.filter(
      ({ specifier }) => builtins.has(specifier) || specifier.startsWith('node:'),
    );
    expect(offenders).toEqual([]);
    expect(chunk.moduleIds.filter((id) => id.includes('browser-external'))).toEqual([]);
  });

  it('contains no Node runtime packages or globals', () => {
    const { code } = chunk;
    expect(code).not.toMatch(/["']node:/);
    expect(code).not.toMatch(/["'](fs|path|os|worker_threads|child_process)(\/[\w/]*)?["']/);
    expect(code).not.toContain('onnxruntime-node');
    expect(code).not.toMatch(/\bprocess\./);
    expect(code).not.toMatch(/\bBuffer\b/);
    expect(code).not.toMatch(/\brequire\(/);
  });

  it('imports only onnxruntime-web, and bundles the tokenizer library', () => {
    expect(chunk.imports).toEqual(['onnxruntime-web']);
    expect(chunk.moduleIds.some((id) => id.includes('@huggingface/tokenizers'))).toBe(true);
    expect(specifiers.map((s) => s.specifier)).toContain('@huggingface/tokenizers');
  });

  it('reports its size', () => {
    const bytes = Buffer.byteLength(chunk.code);
    const gzip = gzipSync(chunk.code).length;
    console.log(
      `@reranker/core/web browser bundle (onnxruntime-web external): ${(bytes / 1024).toFixed(1)} KiB minified, ${(gzip / 1024).toFixed(1)} KiB gzip`,
    );
    // A floor, not a budget: an empty or broken bundle would be far smaller.
    expect(bytes).toBeGreaterThan(20_000);
  });
});
