import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BuildError } from '../errors';
import type { WeightSource } from '../tensor';
import { openSafetensors } from './read';

/** The single-file checkpoint name transformers writes. */
export const SAFETENSORS_FILE = 'model.safetensors';
/** The index of a sharded checkpoint: `{ "weight_map": { tensor: shard file } }`. */
export const SAFETENSORS_INDEX = 'model.safetensors.index.json';
/** Pickled PyTorch checkpoints, which we never load (unpickling runs arbitrary code). */
export const PYTORCH_FILES = ['pytorch_model.bin', 'pytorch_model.bin.index.json'] as const;

/** What to do with a pickled checkpoint, for error messages. */
export const PYTORCH_FIX =
  'convert it to safetensors first: in Python, AutoModelForSequenceClassification.from_pretrained(path).save_pretrained(path, safe_serialization=True), or the hub\'s "Convert to Safetensors" space for a hub repo';

/** The weight files of a model folder. */
export type Checkpoint =
  /** `files`: `model.safetensors`, or the shards `index` lists. */
  { format: 'safetensors'; files: string[]; index?: string } | { format: 'pytorch'; files: string[] };

// A shard is a plain file name beside the index: never a path that could leave the folder.
const SHARD_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*\.safetensors$/;

/**
 * The tensor -> shard map of a `model.safetensors.index.json` (parsed), with every shard checked to be
 * a plain `.safetensors` file name in the same folder. `label` names the index in messages.
 */
export function parseShardIndex(index: unknown, label = SAFETENSORS_INDEX): Map<string, string> {
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap))
    throw new BuildError('invalid-checkpoint', `${label} has no weight_map object`);
  const owners = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string' || !SHARD_NAME.test(shard) || shard.includes('..')) {
      throw new BuildError(
        'invalid-checkpoint',
        `${label} maps ${tensor} to ${JSON.stringify(shard)}, which is not a .safetensors file name in the same folder`,
      );
    }
    owners.set(tensor, shard);
  }
  if (owners.size === 0) throw new BuildError('invalid-checkpoint', `${label} lists no tensors`);
  return owners;
}

/** The shard files of an index, each once, in order of first mention. */
export function shardFiles(owners: ReadonlyMap<string, string>): string[] {
  return [...new Set(owners.values())];
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

/**
 * Which checkpoint a folder holds: `model.safetensors`, a sharded safetensors checkpoint (index and
 * shards), or a pickled PyTorch one; undefined when none. Safetensors wins when both are there.
 */
export async function findCheckpoint(dir: string): Promise<Checkpoint | undefined> {
  if (await isFile(join(dir, SAFETENSORS_FILE))) return { format: 'safetensors', files: [SAFETENSORS_FILE] };
  if (await isFile(join(dir, SAFETENSORS_INDEX))) {
    const owners = await readShardIndex(dir);
    return { format: 'safetensors', files: shardFiles(owners), index: SAFETENSORS_INDEX };
  }
  const pytorch: string[] = [];
  for (const file of PYTORCH_FILES) if (await isFile(join(dir, file))) pytorch.push(file);
  return pytorch.length > 0 ? { format: 'pytorch', files: pytorch } : undefined;
}

async function readShardIndex(dir: string): Promise<Map<string, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(join(dir, SAFETENSORS_INDEX), 'utf8'));
  } catch (error) {
    throw new BuildError('invalid-checkpoint', `${SAFETENSORS_INDEX} is not valid JSON`, { cause: error });
  }
  return parseShardIndex(parsed);
}

/**
 * The weights of a model folder's safetensors checkpoint (single file or sharded), read lazily.
 * Pickled PyTorch checkpoints are refused: convert them to safetensors first.
 */
export async function openCheckpoint(dir: string): Promise<WeightSource> {
  const checkpoint = await findCheckpoint(dir);
  if (!checkpoint)
    throw new BuildError('invalid-checkpoint', `${dir} holds no ${SAFETENSORS_FILE} or ${SAFETENSORS_INDEX}`);
  if (checkpoint.format === 'pytorch') {
    throw new BuildError(
      'unsupported',
      `${dir} holds only a pickled PyTorch checkpoint (${checkpoint.files.join(', ')}), which is never loaded here (unpickling runs arbitrary code): ${PYTORCH_FIX}`,
    );
  }
  const files = new Map(checkpoint.files.map((file) => [file, join(dir, file)]));
  const owners = checkpoint.index ? await readShardIndex(dir) : undefined;
  return openSafetensors(files, owners);
}
