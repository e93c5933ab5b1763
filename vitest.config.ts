import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their `src` through the `@reranker/source` export condition,
// so tests never need a build first.
// Only the extra condition is listed: vitest hands these to its workers as Node `--conditions`, and
// adding `import` there makes CommonJS packages (protobufjs in onnx-proto) receive ES module builds.
const conditions = ['@reranker/source'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    reporters: ['default', './scripts/vitest-summary-reporter.ts'],
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // onnxruntime sessions and synthesized models are heavy: keep file-level parallelism within the 2 cores.
    maxWorkers: 2,
  },
});
