import { RerankerError } from '@reranker/core';
import {
  isPresetName,
  isQwen3PresetName,
  PRESET_NAMES,
  type PresetName,
  QWEN3_PRESET_NAMES,
  type Qwen3PresetName,
} from '@reranker/testkit';
import { TABLE_BACKENDS, type TableBackend } from './table-backends';

/** Comma-separated items, trimmed, none empty, no repeats; throws naming the valid ones. */
function parseList<T extends string>(value: string, what: string, valid: readonly T[]): T[] {
  const items = value.split(',').map((item) => item.trim());
  const bad = items.filter((item) => !(valid as readonly string[]).includes(item));
  if (bad.length > 0 || items.length === 0) {
    throw new RerankerError(
      'INVALID_CONFIG',
      `unknown ${what} ${bad.map((b) => `'${b}'`).join(', ')}: use a comma-separated list of ${valid.join(', ')}`,
    );
  }
  return [...new Set(items as T[])];
}

/** `--backends cpu,wasm`: any of cpu, wasm, cuda, coreml, mlx. */
export function parseBackends(value: string): TableBackend[] {
  return parseList(value, 'backend', TABLE_BACKENDS);
}

/** `--presets minilm-l6,bge-base`: testkit presets (synthesized, random weights). */
export function parsePresets(value: string): PresetName[] {
  return parseList(value, 'preset', PRESET_NAMES).filter(isPresetName);
}

/** A preset `table` measures: a cross-encoder or a Qwen3 LLM reranker (synthesized, random weights). */
export type TablePreset = PresetName | Qwen3PresetName;
export const TABLE_PRESETS: readonly TablePreset[] = [...PRESET_NAMES, ...QWEN3_PRESET_NAMES];

/** `--presets minilm-l6,bge-base,qwen3-0.6b`: cross-encoder and Qwen3 presets. */
export function parseTablePresets(value: string): TablePreset[] {
  return parseList(value, 'preset', TABLE_PRESETS).filter(
    (name) => isPresetName(name) || isQwen3PresetName(name),
  );
}

/** `--batch-sizes 8,16,32`: positive integers up to 512. */
export function parseBatchSizes(value: string): number[] {
  const sizes = value.split(',').map((item) => Number(item.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 512)) {
    throw new RerankerError(
      'INVALID_CONFIG',
      `batch sizes must be a comma-separated list of integers from 1 to 512, got '${value}'`,
    );
  }
  return [...new Set(sizes)];
}
