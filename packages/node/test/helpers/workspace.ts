import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UnifiedReRanker } from '@reranker/core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type CreateRerankerOptions, createReranker } from '../../src/index';
import { lineLogger } from './line-logger';

export interface Workspace {
  /** The file's temporary folder (inside tests only). */
  dir(): string;
  /** Rerankers disposed after each test. */
  open: UnifiedReRanker[];
  /**
   * `createReranker` with `env: {}`, `progress: 'none'` and a line logger unless `options` say
   * otherwise; the reranker goes into `open`.
   */
  load(
    options: CreateRerankerOptions,
  ): Promise<{ reranker: UnifiedReRanker; logger: ReturnType<typeof lineLogger> }>;
}

/**
 * A temporary folder for the file's tests (made before all, removed after all) and a list of the
 * rerankers they open, disposed after each test. Call it at the top level of a test file.
 */
export function useWorkspace(prefix: string): Workspace {
  let work: string | undefined;
  const open = disposedAfterEach();
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), `reranker-${prefix}-`));
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
    async load(options) {
      const logger = lineLogger();
      const reranker = await createReranker({ env: {}, progress: 'none', logger, ...options });
      open.push(reranker);
      return { reranker, logger };
    },
  };
}

/** A list for the rerankers a test opens, disposed after each test. Call it at the top level of a test file. */
export function disposedAfterEach(): UnifiedReRanker[] {
  const open: UnifiedReRanker[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.dispose()));
  });
  return open;
}
