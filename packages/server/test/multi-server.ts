import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackendCandidate, ComputeBudget, RequestSlots } from '@reranker/core';
import {
  isQwen3PresetName,
  type PresetName,
  type Qwen3PresetName,
  synthesizedModelDir,
  synthesizedQwen3Dir,
} from '@reranker/testkit';
import { createApp, type RerankerApp } from '../src/app';
import { type ServerConfig, serverConfig } from '../src/config';
import { createServer } from '../src/http-server';
import { ServerMetrics } from '../src/metrics/prometheus';
import { rerankerLoader } from '../src/models/factory';
import { ModelRegistry, type RegistryOptions } from '../src/models/registry';
import type { ModelSpec } from '../src/models/spec';
import { Probe, probedReference, silentPino } from './helpers';

// A folder of this file's own: other test runs on the machine may clean the shared one meanwhile.
const MODELS_ROOT = join(tmpdir(), 'reranker-testkit-multi-model');

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** A model of a multi-model test server: a synthesized preset under a name. */
export interface TestModel extends Partial<Omit<ModelSpec, 'name' | 'source'>> {
  name: string;
  preset: PresetName | Qwen3PresetName;
}

export interface MultiServer {
  url: string;
  app: RerankerApp;
  models: ModelRegistry;
  /** Loads started per model name (by the one loader). */
  loads: Map<string, number>;
  /** Model folders by name, for the reference scores. */
  dirs: Map<string, string>;
  close(): Promise<void>;
}

export interface MultiOptions {
  models: TestModel[];
  defaultModel?: string;
  config?: Partial<ServerConfig>;
  registry?: Partial<RegistryOptions>;
  /** Backends per model. @default the testkit's reference backend */
  backends: (spec: ModelSpec) => BackendCandidate[];
  /** The compute budget every model shares, as the bin passes one. @default none */
  computeBudget?: ComputeBudget;
  /** The engine variables every model reads (RERANKER_CACHE_DIR…). @default {} */
  env?: Record<string, string | undefined>;
}

/**
 * A listening server over several synthesized models, built as the bin builds one from
 * RERANKER_MODELS (one loader creates every engine), with no environment read. Models load in one
 * worker thread each where the backend has workers.
 */
export async function startMultiServer(options: MultiOptions): Promise<MultiServer> {
  const dirs = new Map<string, string>();
  const specs: ModelSpec[] = [];
  const first = options.defaultModel ?? options.models[0]!.name;
  for (const { preset, ...model } of options.models) {
    const dir = isQwen3PresetName(preset)
      ? await synthesizedQwen3Dir(preset, { root: MODELS_ROOT })
      : await synthesizedModelDir(preset, { root: MODELS_ROOT });
    dirs.set(model.name, dir);
    specs.push({ aliases: [], preload: model.name === first, ...model, source: dir });
  }
  const metrics = new ServerMetrics({ defaultMetrics: false });
  const loads = new Map<string, number>();
  const loader = rerankerLoader({
    env: options.env ?? {},
    logger: quiet,
    backends: options.backends,
    metrics,
    engine: { workers: 1, threadsPerWorker: 1 },
    ...(options.computeBudget && { computeBudget: options.computeBudget }),
  });
  const counted = {
    computeBudget: loader.computeBudget,
    estimate: loader.estimate,
    load(spec: ModelSpec, requestSlots?: RequestSlots) {
      loads.set(spec.name, (loads.get(spec.name) ?? 0) + 1);
      return loader.load(spec, requestSlots);
    },
  };
  const config = serverConfig({ warmupOnStart: false, ...options.config });
  const models = ModelRegistry.of(specs, counted, options.defaultModel, {
    logger: quiet,
    loadWaitMs: 30_000,
    global: { maxParallel: 4, maxQueue: 10, queueTimeoutMs: 30_000 },
    idleUnloadMs: config.modelIdleUnloadMs,
    memoryBudgetBytes: config.modelMemoryBudgetBytes,
    ...options.registry,
  });
  const app = createApp({ models, config, logger: silentPino(), metrics });
  await app.service.ready;
  const server = await new Promise<Server>((resolve) => {
    const s = createServer(app, config).listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    app,
    models,
    loads,
    dirs,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.service.dispose();
    },
  };
}

/** What the tests observe of the backends `probedBackends` gives each model. */
export interface BackendHooks {
  /** Awaited before each load (to hold loads). */
  load?(model: string): Promise<void> | undefined;
  /** Runs each batch by calling `run` (to log runs, or count how many run at once). */
  run?(model: string, run: () => Promise<Float32Array>): Promise<Float32Array>;
  /** Told as a loaded backend is disposed. */
  disposed?(model: string): void;
}

/**
 * `MultiOptions.backends`: the testkit's reference backend behind one probe per model, kept in
 * `probes` by model name (a model loaded again keeps its probe), with `hooks` around it.
 */
export function probedBackends(
  probes: Map<string, Probe>,
  hooks: BackendHooks = {},
): (spec: { name: string }) => BackendCandidate[] {
  return (spec) => {
    const probe = probes.get(spec.name) ?? new Probe();
    probes.set(spec.name, probe);
    const inner = probedReference(probe);
    return [
      {
        name: inner.name,
        async load(options) {
          if (hooks.load) await hooks.load(spec.name);
          const backend = await inner.load(options);
          return {
            name: backend.name,
            device: backend.device,
            run: (batch, runOptions) =>
              hooks.run
                ? hooks.run(spec.name, () => backend.run(batch, runOptions))
                : backend.run(batch, runOptions),
            dispose() {
              hooks.disposed?.(spec.name);
              return backend.dispose();
            },
          };
        },
      },
    ];
  };
}
