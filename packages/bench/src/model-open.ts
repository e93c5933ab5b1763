// Opens the model a command measures: a synthesized testkit preset, or a hub id or folder the way the
// engine resolves it (shared by `table` and `eval`).
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { consoleLogger, type Dtype, type ModelFiles } from '@reranker/core';
import { loadConfig, openLocalModel, resolveModel } from '@reranker/node';
import {
  isQwen3PresetName,
  type PresetName,
  type Qwen3PresetName,
  synthesizedQwen3Dir,
} from '@reranker/testkit';
import { engineModelDir } from './engine-model';

export interface OpenedModel {
  /** The preset name, or the hub id or folder as given. */
  name: string;
  /** A testkit preset: real architecture and cost, RANDOM weights. */
  synthesized: boolean;
  /** What `createReranker({ model })` takes: the folder on disk (the hub download's for a hub id). */
  location: string;
  files: ModelFiles;
}

/**
 * Copies a synthesized folder to a new folder of this run (remove its parent when done): the testkit's
 * shared cache drops old versions whenever a newer testkit synthesizes the preset (seen while other
 * engineers ran tests), which would pull the model from under a running command.
 */
export async function privateCopy(modelDir: string, command: string): Promise<string> {
  const copy = join(await mkdtemp(join(tmpdir(), `reranker-bench-${command}-`)), basename(modelDir));
  await cp(modelDir, copy, { recursive: true });
  return copy;
}

/**
 * `{ preset }`: synthesized on first use (cached under the system temp dir), or read from `dir` (a
 * `privateCopy` of it) when given. `{ model }`: resolved by
 * `resolveModel` with the `RERANKER_*`/`HF_*` variables of the environment (cache dir, token, offline).
 */
export async function openModel(
  source: { preset: PresetName | Qwen3PresetName; dir?: string } | { model: string },
  dtype: Dtype,
  extraFiles: readonly string[] = [],
): Promise<OpenedModel> {
  if ('model' in source) {
    const files = await resolveModel({
      ...loadConfig(process.env),
      model: source.model,
      dtype,
      logger: consoleLogger,
      extraFiles,
    });
    return { name: source.model, synthesized: false, location: files.localDir ?? source.model, files };
  }
  const { preset } = source;
  // Qwen3 presets are safetensors only, as their hub repos: the graph is built at load (and cached).
  const dir =
    source.dir ?? (await (isQwen3PresetName(preset) ? synthesizedQwen3Dir(preset) : engineModelDir(preset)));
  const files = await openLocalModel(dir, dtype, preset);
  return { name: preset, synthesized: true, location: dir, files };
}
