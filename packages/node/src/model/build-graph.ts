import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type Dtype, errorMessage, type Logger, ONNX_FILE_BY_DTYPE, RerankerError } from '@reranker/core';
import {
  BUILDER_VERSION,
  BuildError,
  buildFromFolder,
  buildOnnxModel,
  type Checkpoint,
  type DecoderGraphOptions,
  type HfConfig,
  INLINE_LIMIT_BYTES,
  type OnnxTypes,
  type Operators,
  openCheckpoint,
  preferredInt8Weights,
  readExternalModel,
  SUPPORTED_MODEL_TYPES,
  storeWeightsAsFloat16,
  writeOnnxModel,
} from '@reranker/onnx-builder';
import { decoderGraphOptions, type LabelTokens } from './decoder-labels';
import { hashLocalFile, hashMemoDir } from './fingerprint';
import type { FileProgress, ProgressReporter } from './progress';

export interface GraphBuildRequest {
  /** The model folder: config.json and a safetensors checkpoint. */
  dir: string;
  checkpoint: Checkpoint & { format: 'safetensors' };
  dtype: Dtype;
  /** The reranker's cache dir; graphs go to `<cacheDir>/graphs/<fingerprint>/`. */
  cacheDir: string;
  /** How the user named the model, for messages. */
  label: string;
  logger: Logger;
  progress: ProgressReporter;
  /**
   * Force external data (tests): the fp32 graph is written with it, and q8/fp16 are made from such a
   * graph. By default past ~2 GB of weights.
   */
  externalData?: boolean;
  /** Label words of a yes/no LLM reranker (a causal LM), looked up in tokenizer.json. @default yes / no */
  labelTokens?: LabelTokens;
}

/** Folder-relative names (`onnx/model.onnx`, `onnx/model.onnx_data`) -> absolute paths in the cache. */
export type BuiltFiles = Record<string, string>;

/** A built graph: its files, and the fingerprint of what it was built from (builder version included). */
export interface BuiltGraph {
  files: BuiltFiles;
  fingerprint: string;
}

/** What `build.json` records beside a built graph. */
interface BuildRecord {
  builderVersion: string;
  operators: Operators;
  dtype: Dtype;
  fingerprint: string;
  source: string;
  inputs: Record<string, string>;
  /** File name (in `onnx/`) -> size in bytes: the graph counts as built only if these match. */
  files: Record<string, number>;
  builtAt: string;
  seconds: number;
}

const RECORD = 'build.json';

/**
 * The builder's operator set for graphs built at load: `fused`, the fastest on onnxruntime-node's CPU
 * provider (flash attention for batches without padding; see BuildOptions.operators). Part of the
 * fingerprint, so a graph built with another operator set is never taken for this one.
 */
const OPERATORS: Operators = 'fused';

// One build per graph folder at a time in this process: two rerankers starting together share it.
const inFlight = new Map<string, Promise<BuiltFiles>>();

/**
 * The ONNX graph of a safetensors checkpoint for `dtype`, built once into the model cache and reused
 * afterwards. Its folder is named by a fingerprint of everything that decides its bytes: the builder's
 * version, the dtype, and the SHA-256 of config.json and of every weight file. A changed checkpoint
 * or a new builder gets a new folder; the same checkpoint elsewhere (another revision, a copy) reuses it.
 */
export async function ensureBuiltGraph(request: GraphBuildRequest): Promise<BuiltGraph> {
  const graphs = join(request.cacheDir, 'graphs');
  const inputs = [
    'config.json',
    ...(request.checkpoint.index ? [request.checkpoint.index] : []),
    ...request.checkpoint.files,
  ];
  // Remembered by file identity (see hashLocalFile): a multi-GB checkpoint is read once per change.
  const memoDir = hashMemoDir(request.cacheDir);
  const inputHashes: Record<string, string> = {};
  for (const file of inputs)
    inputHashes[file] = await hashLocalFile(join(request.dir, file), memoDir, request.logger);
  // A decoder's graph also depends on its label token ids (read from tokenizer.json).
  const decoder = await decoderGraphOptions(request.dir, request.labelTokens);
  const fingerprint = createHash('sha256')
    .update(
      JSON.stringify({
        builderVersion: BUILDER_VERSION,
        operators: OPERATORS,
        dtype: request.dtype,
        // q8 weights are stored as this CPU computes them exactly (a cache folder moved to another CPU rebuilds).
        ...(request.dtype === 'q8' ? { int8Weights: preferredInt8Weights() } : {}),
        inputs: inputHashes,
        ...(decoder ? { decoder } : {}),
      }),
    )
    .digest('hex')
    .slice(0, 32);
  const target = join(graphs, fingerprint);
  const reused = await builtFiles(target);
  if (reused) {
    request.logger.debug({ model: request.label, graph: target }, 'reusing the ONNX graph built earlier');
    return { files: reused, fingerprint };
  }
  const running = inFlight.get(target);
  if (running) return { files: await running, fingerprint };
  const build = buildInto(target, { ...request, fingerprint, inputHashes, decoder });
  inFlight.set(target, build);
  try {
    return { files: await build, fingerprint };
  } finally {
    inFlight.delete(target);
  }
}

/** The files of a complete build in `dir`, or undefined (missing, partial, or of another size). */
async function builtFiles(dir: string): Promise<BuiltFiles | undefined> {
  let record: BuildRecord;
  try {
    record = JSON.parse(await readFile(join(dir, RECORD), 'utf8')) as BuildRecord;
  } catch {
    return undefined;
  }
  const files: BuiltFiles = {};
  for (const [name, size] of Object.entries(record.files ?? {})) {
    const path = join(dir, 'onnx', name);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile() || info.size !== size) return undefined;
    files[`onnx/${name}`] = path;
  }
  return Object.keys(files).length > 0 ? files : undefined;
}

async function buildInto(
  target: string,
  request: GraphBuildRequest & {
    fingerprint: string;
    inputHashes: Record<string, string>;
    decoder?: DecoderGraphOptions;
  },
): Promise<BuiltFiles> {
  const { dtype, logger, label } = request;
  const graphFile = basename(ONNX_FILE_BY_DTYPE[dtype]);
  const staging = join(
    request.cacheDir,
    'graphs',
    `.staging-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  logger.info(
    { model: label, dtype, graph: target },
    `${label} has no ${ONNX_FILE_BY_DTYPE[dtype]}: building it from ${request.checkpoint.index ?? request.checkpoint.files[0]} (once; later loads reuse it from ${target})`,
  );
  const started = performance.now();
  let progress: FileProgress | undefined;
  const onProgress = (done: number, total: number) => {
    progress ??= request.progress.file(ONNX_FILE_BY_DTYPE[dtype], total, 'build');
    progress.update(done);
  };
  try {
    await mkdir(join(staging, 'onnx'), { recursive: true });
    const path = join(staging, 'onnx', graphFile);
    if (dtype === 'fp32') {
      const externalData = request.externalData ?? 'auto';
      await buildFromFolder(request.dir, path, {
        onProgress,
        externalData,
        decoder: request.decoder,
        operators: OPERATORS,
      });
    } else {
      await writeFile(
        path,
        await buildVariant(request, dtype, join(staging, 'fp32'), onProgress, request.decoder),
      );
    }
    progress?.finish();
    const files: Record<string, number> = {};
    for (const name of [graphFile, `${graphFile}_data`]) {
      const info = await stat(join(staging, 'onnx', name)).catch(() => undefined);
      if (info) files[name] = info.size;
    }
    const seconds = (performance.now() - started) / 1000;
    const record: BuildRecord = {
      builderVersion: BUILDER_VERSION,
      operators: OPERATORS,
      dtype,
      fingerprint: request.fingerprint,
      source: request.dir,
      inputs: request.inputHashes,
      files,
      builtAt: new Date().toISOString(),
      seconds: Number(seconds.toFixed(2)),
    };
    await writeFile(join(staging, RECORD), `${JSON.stringify(record, null, 2)}\n`);
    await rename(staging, target).catch(async () => {
      // Another process built the same graph first: identical bytes, keep theirs.
      if (await builtFiles(target)) return rm(staging, { recursive: true, force: true });
      // An earlier build someone damaged (a file deleted or cut short): replace it.
      await rm(target, { recursive: true, force: true });
      await rename(staging, target);
    });
    logger.info(
      { model: label, dtype, graph: target, seconds: record.seconds },
      `built the ONNX graph of ${label} (${dtype}) in ${record.seconds} s`,
    );
  } catch (error) {
    progress?.abort();
    await rm(staging, { recursive: true, force: true });
    throw buildFailure(error, request);
  }
  const built = await builtFiles(target);
  if (!built)
    throw new RerankerError('MODEL_LOAD_FAILED', `The ONNX graph built into ${target} disappeared.`);
  return built;
}

/**
 * int8 is quantized as the weights stream in (the same bytes as quantizeDynamicInt8 of the float32
 * graph, without holding it: models past 2 GB in float32 work). fp16 is made from the float32 graph,
 * as the testkit makes it: in memory when it fits in one protobuf; past ~2 GB (or when `externalData`
 * forces it) from a float32 graph written with external data into `scratch` and read back (the
 * float16 graph then fits inline: ~1.1 GB for XLM-R large).
 */
async function buildVariant(
  request: GraphBuildRequest,
  dtype: Exclude<Dtype, 'fp32'>,
  scratch: string,
  onProgress: (done: number, total: number) => void,
  decoder: DecoderGraphOptions | undefined,
): Promise<Uint8Array> {
  const dir = request.dir;
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as HfConfig;
  const weights = await openCheckpoint(dir);
  let fp32: Uint8Array | OnnxTypes.IModelProto;
  try {
    if (dtype === 'q8')
      return await buildOnnxModel(config, weights, {
        onProgress,
        decoder,
        quantizeInt8: true,
        operators: OPERATORS,
      });
    let bytes = 0;
    for (const t of weights.tensors.values()) bytes += t.shape.reduce((a, b) => a * b, 4);
    if (request.externalData ?? bytes > INLINE_LIMIT_BYTES) {
      request.logger.info(
        { model: request.label, dtype, weightBytes: bytes },
        `making ${dtype} from a float32 graph with external data (${(bytes / 1e9).toFixed(2)} GB of weights)`,
      );
      await mkdir(scratch, { recursive: true });
      const path = join(scratch, 'model.onnx');
      await writeOnnxModel(config, weights, path, {
        onProgress,
        externalData: true,
        decoder,
        operators: OPERATORS,
      });
      fp32 = await readExternalModel(path);
    } else {
      fp32 = await buildOnnxModel(config, weights, { onProgress, decoder, operators: OPERATORS });
    }
  } finally {
    await weights.close();
    await rm(scratch, { recursive: true, force: true });
  }
  const variant = storeWeightsAsFloat16(fp32);
  if (variant.byteLength > INLINE_LIMIT_BYTES) {
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      `The ${dtype} graph of ${request.label} would take ${(variant.byteLength / 1e9).toFixed(2)} GB, past the ~2 GB one ONNX file holds: use dtype fp32 (written with external data), or a repo that publishes ${ONNX_FILE_BY_DTYPE[dtype]}.`,
      { details: { dtype, bytes: variant.byteLength } },
    );
  }
  return variant;
}

function buildFailure(error: unknown, request: GraphBuildRequest): unknown {
  if (error instanceof RerankerError) return error;
  const what = `Cannot build the ONNX graph of ${request.label} from its safetensors checkpoint in ${request.dir}`;
  if (error instanceof BuildError) {
    const advice =
      error.reason === 'unsupported'
        ? `Graphs are built for model_type ${SUPPORTED_MODEL_TYPES.join(', ')} (BERT, XLM-RoBERTa, DeBERTa-v2/v3 and ModernBERT cross-encoders; Qwen2/Qwen3 LLM rerankers); for another model, use a repo that publishes an ONNX export (onnx/model.onnx).`
        : 'The checkpoint looks damaged or incomplete: download it again (delete its cache folder), or check that config.json belongs to these weights.';
    return new RerankerError('MODEL_LOAD_FAILED', `${what}: ${error.message}. ${advice}`, {
      cause: error,
      details: { dir: request.dir, reason: error.reason },
    });
  }
  return new RerankerError(
    'MODEL_LOAD_FAILED',
    `${what}: ${errorMessage(error)}. Check that RERANKER_CACHE_DIR (${request.cacheDir}) is writable and has room for the graph.`,
    { cause: error, details: { dir: request.dir, cacheDir: request.cacheDir } },
  );
}
