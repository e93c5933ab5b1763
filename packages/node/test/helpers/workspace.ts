import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UnifiedReRanker } from '@reranker/core';
import { afterAll, afterEach, beforeAll } from 'vitest';

/**
 * A temporary folder for the file's tests (made before all, removed after all) and a list of the
 * rerankers they open, disposed after each test. Call it at the top level of a test file.
 */
export function useWorkspace(prefix: string): { dir(): string; open: UnifiedReRanker[] } {
  let work: string | undefined;
  const open: UnifiedReRanker[] = [];
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), `reranker-${prefix}-`));
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.dispose()));
  });
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });
  return {
    dir: () => {
      if (!work) throw new Error('useWorkspace: the folder exists only inside tests');
      return work;
    },
    open,
  };
}
