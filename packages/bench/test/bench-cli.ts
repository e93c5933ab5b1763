// Shared by the smoke tests that run the bench for real: the command line in a child process, and a
// temporary folder for a describe block's output files.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

const BENCH = fileURLToPath(new URL('..', import.meta.url));

export interface Exit {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in the bench package; a failure resolves with its code, so a test can show stderr. */
export function run(command: string, args: string[], timeout: number): Promise<Exit> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: BENCH, env: { ...process.env, INIT_CWD: BENCH }, timeout },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The bench command line from its sources, as `pnpm -s bench` runs it. */
export function benchCli(args: string[], timeout: number): Promise<Exit> {
  return run(
    process.execPath,
    ['--conditions=@reranker/source', '--import', 'tsx', 'src/cli.ts', ...args],
    timeout,
  );
}

/** A temporary folder for the calling describe block, removed after its tests. */
export function suiteTempDir(prefix: string): Promise<string> {
  const dir = mkdtemp(join(tmpdir(), prefix));
  afterAll(async () => rm(await dir, { recursive: true, force: true }));
  return dir;
}
