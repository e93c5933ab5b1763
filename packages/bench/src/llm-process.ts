// The parent's side of llm-child.ts: starts one variant in its own Node process and talks to it.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CreateRerankerOptions } from '@reranker/node';
import type { LlmRequest } from './llm-workload';
import type { PeakRss } from './peak-rss';

/** What a variant's createReranker gets besides env, cache, logger and progress (the same for both). */
export type VariantOptions = Pick<
  CreateRerankerOptions,
  'model' | 'dtype' | 'cacheDir' | 'batchSize' | 'workers' | 'threadsPerWorker'
>;

export type ChildRequest =
  | { type: 'init'; options: VariantOptions }
  | { type: 'run'; requests: LlmRequest[] }
  | { type: 'close' };

export interface ReadyReply {
  type: 'ready';
  loadSeconds: number;
  /** Peak from the process start to the end of createReranker. */
  loadPeakRss: PeakRss;
  device: string;
  details: Record<string, unknown>;
}

export interface RanReply {
  type: 'ran';
  latencyMs: number[];
  /** Per request, the score of each document by its input index. */
  scores: number[][];
  /** The child's CPU time over the run (its worker threads included). */
  cpuSeconds: number;
}

export interface ClosedReply {
  type: 'closed';
  /** Peak from the end of loading to the close: warm-up and every timed request. */
  peakRss?: PeakRss;
  /** The backend's description at the end (the prefix LRU's counters for the engine). */
  details: Record<string, unknown>;
}

export type ChildReply = ReadyReply | RanReply | ClosedReply | { type: 'error'; message: string };

export interface VariantProcess {
  readonly ready: ReadyReply;
  run(requests: LlmRequest[]): Promise<RanReply>;
  /** Disposes the reranker and lets the process end. */
  close(): Promise<ClosedReply>;
  /** SIGKILL, for failures. */
  kill(): void;
}

const CHILD = fileURLToPath(new URL('./llm-child.ts', import.meta.url));

/** Starts llm-child.ts from source (tsx, the source condition) and loads the variant in it. */
export async function startVariant(options: VariantOptions): Promise<VariantProcess> {
  const child: ChildProcess = fork(CHILD, [], {
    execArgv: ['--conditions=@reranker/source', '--import', import.meta.resolve('tsx')],
    // stdout stays the parent's markdown; the child's errors go to stderr.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  // One request at a time: each reply answers the oldest question.
  const waiting: ((reply: ChildReply | Error) => void)[] = [];
  child.on('message', (reply: ChildReply) => waiting.shift()?.(reply));
  child.on('exit', (code, signal) => {
    const error = new Error(`the process of ${String(options.model)} exited (${code ?? signal})`);
    while (waiting.length > 0) waiting.shift()!(error);
  });
  const ask = async <T extends ChildReply>(request: ChildRequest, type: T['type']): Promise<T> => {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the process of ${String(options.model)} is gone`);
    const reply = await new Promise<ChildReply | Error>((resolve) => {
      waiting.push(resolve);
      child.send(request);
    });
    if (reply instanceof Error) throw reply;
    if (reply.type === 'error') throw new Error(`${String(options.model)}: ${reply.message}`);
    if (reply.type !== type) throw new Error(`expected ${type} from the child, got ${reply.type}`);
    return reply as T;
  };
  let ready: ReadyReply;
  try {
    ready = await ask<ReadyReply>({ type: 'init', options }, 'ready');
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    ready,
    run: (requests) => ask<RanReply>({ type: 'run', requests }, 'ran'),
    close: () => ask<ClosedReply>({ type: 'close' }, 'closed'),
    kill: () => child.kill('SIGKILL'),
  };
}
