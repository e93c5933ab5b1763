import * as ort from 'onnxruntime-web';
import { abortError } from '../abort';
import type { Backend, BackendCandidate, BackendLoadOptions } from '../backend';
import { errorMessage, RerankerError } from '../errors';
import { type DecoderLayout, decoderGraphLayout } from '../kinds/decoder-graph';
import { DecoderRunner } from '../kinds/decoder-runner';
import { checkPrefixCacheOptions, type PrefixCacheOptions } from '../kinds/prefix-kv-cache';
import type { Logger } from '../logger';
import { labelCount, ONNX_FILE_BY_DTYPE } from '../model';
import { probeSession } from './probe';
import { checkGraph, graphSignature, SerialSession, webRunnerSession } from './session';

export type WebDevice = 'webgpu' | 'wasm';

export interface WebBackendOptions {
  /** `auto` tries WebGPU, then wasm (the reason WebGPU was skipped shows in `info().backendFallbacks`). @default 'auto' */
  device?: 'auto' | WebDevice;
  /**
   * Where onnxruntime-web loads its `.wasm`/`.mjs` files from (`ort.env.wasm.wasmPaths`): a URL prefix
   * ending in `/`, or a map of file names. Serve them from your own origin; nothing is loaded from a CDN.
   * @default undefined: next to the bundled onnxruntime-web (bundlers copy the file as an asset)
   */
  wasmPaths?: string | Record<string, string>;
  /**
   * wasm threads (`ort.env.wasm.numThreads`); more than 1 needs a cross-origin isolated page.
   * @default crossOriginIsolated ? min(4, navigator.hardwareConcurrency) : 1
   */
  numThreads?: number;
  /**
   * LLM rerankers on the prefix graph: bounds of the session's LRU of shared prefixes' key/values.
   * @default { maxEntries: 32, maxBytes: 64 MiB }
   */
  prefixCache?: PrefixCacheOptions;
}

const DEVICES = ['auto', 'webgpu', 'wasm'] as const;

/**
 * Backend candidates on onnxruntime-web: `[webgpu, wasm]` for `auto`, else the one device asked for.
 * Pass them as `backends` to `UnifiedReRanker.create`, or use `createWebReranker`.
 */
export function webBackends(options: WebBackendOptions = {}): BackendCandidate[] {
  const device = options.device ?? 'auto';
  if (!(DEVICES as readonly string[]).includes(device)) {
    throw new RerankerError(
      'INVALID_CONFIG',
      `webBackends: device must be one of ${DEVICES.join(', ')}, got ${String(device)}.`,
    );
  }
  const threads = options.numThreads;
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
    throw new RerankerError(
      'INVALID_CONFIG',
      `webBackends: numThreads must be a positive integer, got ${String(threads)}.`,
    );
  }
  checkPrefixCacheOptions(options.prefixCache, 'webBackends');
  // Both candidates read the same file: the wasm one reuses the bytes when WebGPU fails after download.
  const shared: { key?: string; bytes?: Promise<Uint8Array> } = {};
  const candidate = (target: WebDevice): BackendCandidate => ({
    name: `onnxruntime-web:${target}`,
    load: (loadOptions) => loadBackend(target, options, loadOptions, shared),
  });
  return device === 'auto' ? [candidate('webgpu'), candidate('wasm')] : [candidate(device)];
}

/** Why WebGPU cannot run here, or undefined when an adapter is available. */
async function webgpuUnavailable(): Promise<string | undefined> {
  type Gpu = { requestAdapter(): Promise<unknown> };
  const gpu = (globalThis.navigator as { gpu?: Gpu } | undefined)?.gpu;
  if (!gpu) {
    return 'WebGPU is not available: navigator.gpu is absent (the browser lacks WebGPU, or the page is not a secure context)';
  }
  try {
    const adapter = await gpu.requestAdapter();
    return adapter
      ? undefined
      : 'WebGPU is not available: navigator.gpu.requestAdapter() returned null (no usable GPU)';
  } catch (error) {
    return `WebGPU is not available: navigator.gpu.requestAdapter() failed (${errorMessage(error)})`;
  }
}

function defaultThreads(): number {
  if (!globalThis.crossOriginIsolated) return 1;
  return Math.max(1, Math.min(4, globalThis.navigator?.hardwareConcurrency ?? 1));
}

/** The settings given to onnxruntime-web, which reads them once, when it initializes wasm. */
let applied: { numThreads: number; wasmPaths: WebBackendOptions['wasmPaths'] } | undefined;

function configureEnv(options: WebBackendOptions, logger: Logger): void {
  const wanted = { numThreads: options.numThreads ?? defaultThreads(), wasmPaths: options.wasmPaths };
  if (!applied) {
    ort.env.wasm.numThreads = wanted.numThreads;
    if (wanted.wasmPaths !== undefined)
      ort.env.wasm.wasmPaths = wanted.wasmPaths as ort.Env.WasmPrefixOrFilePaths;
    applied = wanted;
    return;
  }
  if (
    applied.numThreads !== wanted.numThreads ||
    JSON.stringify(applied.wasmPaths) !== JSON.stringify(wanted.wasmPaths)
  ) {
    logger.warn(
      { applied, wanted },
      'onnxruntime-web is already initialized: numThreads and wasmPaths of the first reranker on this page stay in effect',
    );
  }
}

async function loadBackend(
  device: WebDevice,
  options: WebBackendOptions,
  { model, config, kind, dtype, logger, signal }: BackendLoadOptions,
  shared: { key?: string; bytes?: Promise<Uint8Array> },
): Promise<Backend> {
  if (signal?.aborted) throw abortError(signal);
  if (device === 'webgpu') {
    const reason = await webgpuUnavailable();
    if (reason) throw new RerankerError('BACKEND_UNAVAILABLE', reason);
  }
  configureEnv(options, logger);
  const file = ONNX_FILE_BY_DTYPE[dtype];
  const key = `${model.source}@${model.revision}/${file}`;
  if (shared.key !== key || !shared.bytes) {
    shared.key = key;
    shared.bytes = model.read(file);
  }
  let bytes: Uint8Array;
  try {
    bytes = await shared.bytes;
  } catch (error) {
    shared.bytes = undefined;
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      `Could not read ${file} (dtype '${dtype}') of ${model.source}: ${errorMessage(error)}`,
      { cause: error },
    );
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { executionProviders: [device] });
  } catch (error) {
    const message = errorMessage(error);
    // "no available backend found" is onnxruntime-web failing to start itself, not the model.
    if (/no available backend/i.test(message)) {
      throw new RerankerError(
        'BACKEND_UNAVAILABLE',
        `onnxruntime-web could not start its ${device} backend: ${message}. Check that wasmPaths points at the onnxruntime-web .wasm/.mjs files.`,
        { cause: error },
      );
    }
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      `onnxruntime-web (${device}) could not load ${file} of ${model.source}: ${message}`,
      { cause: error },
    );
  }
  const numLabels = kind?.numLabels ?? labelCount(config);
  let decoder: DecoderRunner<ort.Tensor> | undefined;
  try {
    let layout: DecoderLayout | undefined;
    if (kind?.graph.inputs === 'prefix-cache') {
      layout = decoderGraphLayout(graphSignature(session), kind, config, file);
      decoder = new DecoderRunner(webRunnerSession(session), layout, kind, {
        prefixCache: options.prefixCache,
      });
    } else checkGraph(session, numLabels, file);
    if (signal?.aborted) throw abortError(signal);
    // WebGPU kernels check what they support only when they run: a graph they refuse must fail here,
    // where the next candidate (wasm) can take over, not at every batch.
    if (device === 'webgpu') {
      const probeKind = kind ?? {
        name: 'cross-encoder',
        numLabels,
        graph: { inputs: 'pair' },
        padTokenId: typeof config.pad_token_id === 'number' ? config.pad_token_id : 0,
      };
      await probeSession(session, {
        device,
        kind: probeKind,
        decoderLayout: layout,
        what: `${file} of ${model.source}`,
      });
    }
    if (signal?.aborted) throw abortError(signal);
  } catch (error) {
    await session.release();
    throw error;
  }
  shared.bytes = undefined; // loaded: let the bytes be collected
  const serial = new SerialSession(session, `onnxruntime-web (${device})`, numLabels, decoder);
  const facts = {
    executionProvider: device,
    // Read back: onnxruntime-web lowers it to 1 itself when the page is not cross-origin isolated.
    numThreads: ort.env.wasm.numThreads,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    wasmPaths: ort.env.wasm.wasmPaths,
    modelFile: file,
  };
  return {
    name: 'onnxruntime-web',
    device,
    concurrency: 1,
    run: (batch, runOptions) => serial.run(batch, runOptions?.signal),
    dispose: () => serial.dispose(),
    describe: () => ({
      ...facts,
      ...(decoder && { decoderLayout: decoder.layoutType, prefixCache: decoder.cache.stats() }),
    }),
  };
}
