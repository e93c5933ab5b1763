import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { engineTable, serverTable } from './variables-table';

// The README's variable tables are generated from the code (`pnpm --filter @reranker/server docs:variables`).
it('the README lists every variable with its current default', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  expect(readme).toContain(serverTable());
  expect(readme).toContain(engineTable());
});
