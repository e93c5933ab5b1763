import { defineConfig } from 'tsup';

export default defineConfig({
  // One build for both entries, so ESM `web.js` shares its chunks (and so the RerankerError class)
  // with `index.js`. The web entry is ESM only; its CommonJS output exists but is not exported.
  entry: { index: 'src/index.ts', web: 'src/web/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  // A peer, bundled by the application (with its .wasm files), never by us.
  external: ['onnxruntime-web'],
});
