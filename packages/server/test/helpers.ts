import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Backend, BackendCandidate } from '@reranker/core';
import { type CreateRerankerOptions, createReranker } from '@reranker/node';
import { referenceBackend, synthesizedModelDir } from '@reranker/testkit';
import { type Logger as PinoLogger, pino } from 'pino';
import { createApp } from '../src/app';
import { type ServerConfig, serverConfig } from '../src/config';
import { createServer } from '../src/http-server';
import { ServerMetrics } from '../src/metrics/prometheus';
import type { TestServer as PublicTestServer } from '../src/testing';

export const QUERY = 'how do solar panels make electricity';
export const DOCS = [
  'Photovoltaic cells turn sunlight into an electric current.',
  'The bakery on the corner sells fresh bread every morning.',
  'Solar panels feed direct current to an inverter.',
  'A reranker orders passages by relevance to a query.',
  'Bananas are yellow and grow in tropical climates.',
];

/** The operations routes: health, readiness, info, metrics and the OpenAPI document (all GET). */
export const OPERATIONS_PATHS = [
  '/health',
  '/healthz',
  '/readyz',
  '/info',
  '/metrics',
  '/metrics/prometheus',
  '/openapi.json',
] as const;

/** Counts what the backend computed and can hold runs at a gate (to keep requests in flight). */
export class Probe {
  rows = 0;
  /** Padded tokens (rows × width) computed. */
  tokens = 0;
  runs = 0;
  gate: Promise<void> | undefined;
  #listeners: Array<() => void> = [];
  #release: (() => void) | undefined;

  /** Makes every run wait until `release()` (the server's close releases it too). */
  hold(): void {
    const { promise, resolve } = deferred();
    this.gate = promise;
    this.#release = resolve;
  }

  release(): void {
    this.#release?.();
    this.gate = undefined;
  }

  /** Resolves the next time a run starts (before it waits at the gate). */
  started(): Promise<void> {
    return new Promise((resolve) => this.#listeners.push(resolve));
  }

  notify(): void {
    for (const listener of this.#listeners.splice(0)) listener();
  }
}

/**
 * A backend wrapped with a probe: by default the testkit's float64 reference backend (no onnxruntime,
 * cross-encoders), or `inner` (the reference decoder backend for LLM rerankers).
 */
export function probedReference(
  probe: Probe,
  inner = referenceBackend() as unknown as BackendCandidate,
): BackendCandidate {
  return {
    name: inner.name,
    async load(options) {
      const backend = await inner.load(options);
      const wrapped: Backend = {
        name: backend.name,
        device: backend.device,
        async run(batch, runOptions) {
          probe.runs++;
          probe.notify();
          if (probe.gate) await probe.gate;
          runOptions?.signal?.throwIfAborted();
          const logits = await backend.run(batch, runOptions);
          probe.rows += batch.rows;
          probe.tokens += batch.rows * batch.width;
          return logits;
        },
        dispose: () => backend.dispose(),
      };
      return wrapped;
    },
  };
}

export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export const silentPino = () => pino({ level: 'silent' });

/** A parsed response body: tests check its shape with assertions, so it is left untyped. */
// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the assertions
export type Json = any;

/** The public test server's fields, with the probe and the listener for the server's own tests. */
export interface TestServer extends PublicTestServer {
  probe: Probe;
  server: Server;
}

export interface StartOptions {
  /** A model folder. @default the tiny synthesized cross-encoder */
  model?: string;
  /** Environment the engine reads its configuration from (as the bin's). @default {} */
  env?: Record<string, string>;
  config?: Partial<ServerConfig>;
  engine?: Omit<CreateRerankerOptions, 'model' | 'env' | 'backends' | 'logger' | 'progress'>;
  /** Use the reference backend with a probe (default) or a given list. */
  backends?: BackendCandidate[];
  /** Without `backends`: the backend the probe wraps. @default the testkit's reference backend */
  probed?: BackendCandidate;
  /** @default silent */
  logger?: PinoLogger;
  /** Instrument the backends for the per-batch histograms, as the bin does. @default false */
  instrument?: boolean;
}

/** A listening server on 127.0.0.1:<free port> over the tiny synthesized model. */
export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const dir = options.model ?? (await synthesizedModelDir('tiny'));
  const probe = new Probe();
  const metrics = new ServerMetrics({ defaultMetrics: false });
  const backends = options.backends ?? [probedReference(probe, options.probed)];
  const reranker = await createReranker({
    model: dir,
    env: options.env ?? {},
    progress: 'none',
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    backends: options.instrument ? metrics.instrument(backends) : backends,
    ...options.engine,
  });
  const config = serverConfig({ warmupOnStart: false, ...options.config });
  const app = createApp({
    reranker,
    config,
    logger: options.logger ?? silentPino(),
    metrics,
  });
  await app.service.ready;
  const server = await new Promise<Server>((resolve) => {
    const s = createServer(app, config).listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    reranker,
    probe,
    server,
    async close() {
      probe.release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await reranker.dispose();
    },
  };
}

/** POSTs JSON (or a raw string body) and returns status, headers and the parsed body. */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Json }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await parse(response) };
}

export async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Json }> {
  const response = await fetch(url, { headers });
  return { status: response.status, headers: response.headers, body: await parse(response) };
}

async function parse(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Polls `check` every 5 ms until it holds; fails naming `what` after 5 s. */
export async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
