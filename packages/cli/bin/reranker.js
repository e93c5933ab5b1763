#!/usr/bin/env node
// The `reranker` command. Published, the package has no src/ and this runs the tsup build. In the
// workspace it runs the TypeScript source through tsx with the source condition (as `pnpm start` does),
// so `pnpm exec reranker` works without a build and never runs a stale one.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
if (existsSync(source)) {
  const flags = ['--conditions=@reranker/source', '--import', import.meta.resolve('tsx')];
  const child = spawnSync(process.execPath, [...flags, source, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  if (child.error) throw child.error;
  // Killed by a signal: exit as a shell reports it (128 + the signal number).
  process.exit(child.status ?? 128 + (constants.signals[child.signal] ?? 0));
} else {
  await import('../dist/bin.js');
}
