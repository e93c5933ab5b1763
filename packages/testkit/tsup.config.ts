import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/cli.ts', 'src/conformance/index.ts', 'src/processes/index.ts'],
  format: ['esm'],
  dts: { entry: ['src/index.ts', 'src/conformance/index.ts', 'src/processes/index.ts'] },
  // The conformance suites run inside the caller's vitest: never bundle a second copy.
  external: ['vitest'],
  clean: true,
  target: 'node20',
});
