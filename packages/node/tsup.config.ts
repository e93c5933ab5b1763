import { defineConfig } from 'tsup';

export default defineConfig({
  // The worker is its own entry: worker threads load it by file URL next to index.js.
  entry: ['src/index.ts', 'src/onnx/worker.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  clean: true,
  target: 'node20',
  platform: 'node',
});
