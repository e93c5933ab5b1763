// `reranker-bench fusion --profile`: where a graph's time goes, kernel by kernel.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

interface ProfileEvent {
  cat?: string;
  name?: string;
  ts?: number;
  dur?: number;
  args?: { op_name?: string };
}

/**
 * Milliseconds per run spent in each operator type (onnxruntime's own profiler: `enableProfiling`,
 * kernel events only), averaged over `runs` runs of `feeds` on a fresh session with `options`, after
 * one untimed run (a session's first run also plans its memory). An If's time includes the nodes of
 * the branch it ran, which are listed too: `If` is left out of the sum.
 */
export async function kernelTimes(
  modelFile: string,
  feeds: Record<string, ort.Tensor>,
  options: ort.InferenceSession.SessionOptions,
  runs: number,
): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'reranker-profile-'));
  try {
    const session = await ort.InferenceSession.create(modelFile, {
      ...options,
      enableProfiling: true,
      profileFilePrefix: join(dir, 'profile'),
    });
    try {
      for (let i = 0; i <= runs; i++) await session.run(feeds);
      session.endProfiling();
    } finally {
      await session.release();
    }
    const file = (await readdir(dir)).find((name) => name.endsWith('.json'));
    if (!file) throw new Error(`onnxruntime wrote no profile for ${modelFile}`);
    const events = JSON.parse(await readFile(join(dir, file), 'utf8')) as ProfileEvent[];
    // Kernel events of the first run (the warm-up) end before the first model_run event does.
    const warmup = events.find((e) => e.cat === 'Session' && e.name === 'model_run');
    const after = warmup ? (warmup.ts ?? 0) + (warmup.dur ?? 0) : Number.NEGATIVE_INFINITY;
    const micros: Record<string, number> = {};
    for (const e of events) {
      const op = e.args?.op_name;
      if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || !op || (e.ts ?? 0) < after) continue;
      micros[op] = (micros[op] ?? 0) + (e.dur ?? 0);
    }
    return Object.fromEntries(Object.entries(micros).map(([op, us]) => [op, us / 1000 / runs]));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The sum of kernelTimes without double counting (an If's time holds its branch's nodes). */
export function kernelTotal(times: Record<string, number>): number {
  return Object.entries(times).reduce((sum, [op, ms]) => (op === 'If' ? sum : sum + ms), 0);
}
