import { type ChildProcess, spawn } from 'node:child_process';
import { abortError, type EncodedBatch, type Logger, RerankerError } from '@reranker/core';
import { exitsWithin, hold, kill, quote } from './child';
import { lineSplitter, type Parsed, parseLine, type ReadyMessage, toRequest } from './protocol';

export interface SupervisorOptions {
  command: string;
  args: string[];
  /** Shown in messages, e.g. `python:numpy`. */
  label: string;
  startupTimeoutMs: number;
  requestTimeoutMs: number;
  maxInFlight: number;
  logger: Logger;
  /** First restart delay, doubled per failure in a row (capped at 5 s). */
  backoffMs: number;
  /** How long dispose waits after closing stdin, then after SIGTERM, before the next step. */
  killGraceMs: number;
}

/** The worker failed before its ready line; `loadFailed` when it ran but could not load the model. */
export class StartError extends Error {
  constructor(
    message: string,
    readonly loadFailed: boolean,
  ) {
    super(message);
  }
}

interface Job {
  id: number;
  line: string;
  resolve(logits: number[][]): void;
  reject(error: unknown): void;
  signal?: AbortSignal;
  onAbort?: () => void;
  timer?: ReturnType<typeof setTimeout>;
}

const STDERR_TAIL = 8;

/**
 * One Python worker process fed JSON lines: up to `maxInFlight` requests written ahead (the worker
 * answers them in order), the rest queued. A worker that dies, hangs or writes garbage is killed, its
 * in-flight requests reject with BACKEND_FAILED (core retries them) and a new one starts after a backoff.
 */
export class PythonSupervisor {
  private child: ChildProcess | undefined;
  private state: 'starting' | 'ready' | 'restarting' | 'broken' | 'disposed' = 'starting';
  private readonly queue: Job[] = [];
  private readonly inFlight = new Map<number, Job>();
  private nextId = 0;
  private failuresInRow = 0;
  private stderrTail: string[] = [];
  private exited: Promise<void> = Promise.resolve();
  private disposing: Promise<void> | undefined;
  /** Workers started again after a failure. */
  restarts = 0;
  ready: ReadyMessage | undefined;

  constructor(private readonly options: SupervisorOptions) {}

  start(): Promise<ReadyMessage> {
    return this.spawnWorker();
  }

  run(batch: EncodedBatch, signal?: AbortSignal): Promise<number[][]> {
    if (this.disposing) return Promise.reject(disposedError(this.options.label));
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise((resolve, reject) => {
      const id = ++this.nextId;
      const job: Job = { id, line: `${JSON.stringify(toRequest(id, batch))}\n`, resolve, reject };
      if (signal) {
        job.signal = signal;
        job.onAbort = () => this.abort(job);
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.queue.push(job);
      if (this.state === 'broken') this.restart(0);
      this.pump();
    });
  }

  /** Rejects pending requests with DISPOSED; closes stdin, then SIGTERM, then SIGKILL. Idempotent. */
  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      this.state = 'disposed';
      const error = disposedError(this.options.label);
      for (const job of [...this.queue.splice(0), ...this.inFlight.values()]) this.settle(job, error);
      this.inFlight.clear();
      const child = this.child;
      this.child = undefined;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      hold(child, true); // keep the process alive until the worker is gone
      child.stdin?.end();
      for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
        if (await exitsWithin(this.exited, this.options.killGraceMs)) return;
        child.kill(signal);
      }
      await this.exited;
    })();
    return this.disposing;
  }

  private spawnWorker(): Promise<ReadyMessage> {
    const { command, args, label, startupTimeoutMs, logger } = this.options;
    // No __pycache__ written beside the script (it may sit in a read-only node_modules).
    const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' };
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.child = child;
    this.state = 'starting';
    this.stderrTail = [];
    this.exited = new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    child.stdin?.on('error', () => {}); // EPIPE after a crash: the exit event reports it
    child.stderr?.setEncoding('utf8');
    child.stderr?.on(
      'data',
      lineSplitter((line) => {
        this.stderrTail = [...this.stderrTail.slice(1 - STDERR_TAIL), line];
        logger.debug({ backend: label, pid: child.pid }, line);
      }),
    );
    return new Promise((resolve, reject) => {
      let settled = false;
      const failStart = (reason: string, loadFailed = false) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        kill(child);
        if (this.child === child) [this.child, this.state] = [undefined, 'broken'];
        reject(new StartError(`${reason}${this.tail()}`, loadFailed));
      };
      const timer = setTimeout(
        () => failStart(`the ${label} worker did not say ready within ${startupTimeoutMs} ms`),
        startupTimeoutMs,
      );
      child.stdout?.setEncoding('utf8');
      child.stdout?.on(
        'data',
        lineSplitter((line) => {
          if (this.child !== child) return;
          const parsed = parseLine(line);
          if (settled) return this.onMessage(parsed);
          if (parsed.kind === 'ready') {
            settled = true;
            clearTimeout(timer);
            [this.state, this.ready] = ['ready', parsed.message];
            hold(child, false); // an idle worker does not keep Node alive
            resolve(parsed.message);
            this.pump();
          } else if (parsed.kind === 'load-failed') {
            failStart(parsed.message.error, true);
          } else {
            failStart(`the ${label} worker wrote ${quote(line)} where its ready line was expected`);
          }
        }),
      );
      const ended = (how: string) => {
        if (!settled) failStart(`the ${label} worker ${how} before it was ready`);
        else if (this.child === child) this.fail(`died (${how})`);
      };
      child.on('error', (error) => ended(`could not be started with ${command} (${error.message})`));
      child.on('exit', (code, signal) => ended(`exited with ${signal ?? `code ${code}`}`));
    });
  }

  private onMessage(parsed: Parsed): void {
    if (parsed.kind !== 'response') {
      const what = parsed.kind === 'garbage' ? quote(parsed.line) : `a second ${parsed.kind} line`;
      this.fail(
        `wrote ${what}, which is not a protocol response: something in the worker prints to stdout (logs must go to stderr)`,
      );
      return;
    }
    const job = this.inFlight.get(parsed.message.id);
    if (!job) return; // answer to an aborted request
    this.inFlight.delete(job.id);
    this.failuresInRow = 0;
    if ('error' in parsed.message) {
      this.settle(
        job,
        backendFailed(`The ${this.options.label} worker failed on a batch: ${parsed.message.error}`),
      );
    } else {
      this.settle(job, undefined, parsed.message.logits);
    }
    this.pump();
  }

  private pump(): void {
    const child = this.child;
    if (this.state !== 'ready' || !child) return;
    while (this.inFlight.size < this.options.maxInFlight && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.inFlight.set(job.id, job);
      const { requestTimeoutMs, label } = this.options;
      job.timer = setTimeout(() => {
        this.inFlight.delete(job.id);
        this.settle(
          job,
          new RerankerError(
            'TIMEOUT',
            `The ${label} worker did not answer a batch within requestTimeoutMs (${requestTimeoutMs} ms); it is being restarted. Raise requestTimeoutMs or send smaller batches.`,
          ),
        );
        this.fail(`hung (no answer within ${requestTimeoutMs} ms)`);
      }, requestTimeoutMs);
      child.stdin?.write(job.line);
    }
    hold(child, this.inFlight.size > 0);
  }

  /** The worker is unusable: kill it, fail what it held, start another after a backoff. */
  private fail(reason: string): void {
    const child = this.child;
    if (!child || this.state === 'disposed') return;
    this.child = undefined;
    kill(child);
    const error = backendFailed(
      `The ${this.options.label} worker (pid ${child.pid}) ${reason}${this.tail()}`,
    );
    for (const job of this.inFlight.values()) this.settle(job, error);
    this.inFlight.clear();
    const delay = Math.min(this.options.backoffMs * 2 ** this.failuresInRow, 5000);
    this.failuresInRow++;
    // A worker that keeps failing with no work waiting is left down: the next run() starts one.
    if (this.failuresInRow > 3 && this.queue.length === 0) this.state = 'broken';
    else this.restart(delay);
  }

  private restart(delayMs: number): void {
    this.state = 'restarting';
    this.restarts++;
    setTimeout(() => {
      if (this.state === 'disposed') return;
      this.spawnWorker().catch((error: unknown) => {
        // Broken until the next run tries again; queued requests fail now rather than wait forever.
        const failure = backendFailed(
          `Restarting the ${this.options.label} worker failed: ${String((error as Error).message)}`,
        );
        for (const job of this.queue.splice(0)) this.settle(job, failure);
      });
    }, delayMs);
  }

  private abort(job: Job): void {
    const queued = this.queue.indexOf(job);
    if (queued >= 0) this.queue.splice(queued, 1);
    const wasInFlight = this.inFlight.delete(job.id);
    this.settle(job, abortError(job.signal!));
    // Core's workerTimeoutMs fired: the worker is stuck on this batch, and Python cannot be interrupted.
    if (wasInFlight && job.signal!.reason instanceof RerankerError && job.signal!.reason.code === 'TIMEOUT') {
      this.fail('overran the time limit of a batch');
    } else {
      this.pump();
    }
  }

  private settle(job: Job, error: unknown, logits?: number[][]): void {
    clearTimeout(job.timer);
    if (job.onAbort) job.signal!.removeEventListener('abort', job.onAbort);
    if (logits) job.resolve(logits);
    else job.reject(error);
  }

  private tail(): string {
    return this.stderrTail.length > 0 ? `; its stderr ended with: ${this.stderrTail.join(' | ')}` : '';
  }
}

function backendFailed(message: string): RerankerError {
  return new RerankerError('BACKEND_FAILED', `${message} (retryable: the worker is restarted).`);
}

function disposedError(label: string): RerankerError {
  return new RerankerError('DISPOSED', `The ${label} backend was disposed: load a new one to run batches.`);
}
