import { isRerankerError, RerankerError } from '@reranker/core';
import {
  CONFIG_VARIABLES,
  type ConfigIssue,
  type ConfigVariable,
  loadConfig,
  type RerankerConfig,
} from '@reranker/node';

type Env = Record<string, string | undefined>;

/** The library options `reranker rank` takes as flags, by config key. */
export const ENGINE_FLAGS = {
  model: '--model',
  dtype: '--dtype',
  maxLength: '--max-length',
  batchSize: '--batch-size',
} as const satisfies Partial<Record<keyof RerankerConfig, string>>;

export type EngineFlagValues = Partial<Record<keyof typeof ENGINE_FLAGS, string>>;

export function variableOf(key: keyof typeof ENGINE_FLAGS): ConfigVariable {
  return CONFIG_VARIABLES.find((v) => v.key === key)!;
}

/** Help text of an engine flag: the library's description, accepted values and default. */
export function engineFlagHelp(key: keyof typeof ENGINE_FLAGS): string {
  const spec = variableOf(key);
  const fallback = spec.default === undefined ? '' : `; default ${spec.default}`;
  return `${spec.description} [${spec.accepts}${fallback}; env ${spec.variable}]`;
}

/**
 * The environment `createReranker` reads, and the config it gives: the caller's, with the flags set over their variables (flags
 * win), validated by the library's own loader so flags accept exactly what the variables accept. A bad
 * value throws `INVALID_CONFIG` whose message names the flag rather than the variable it set.
 */
export function engineEnv(flags: EngineFlagValues, env: Env): { env: Env; config: RerankerConfig } {
  const merged: Env = { ...env };
  for (const key of Object.keys(ENGINE_FLAGS) as (keyof typeof ENGINE_FLAGS)[]) {
    const value = flags[key];
    if (value !== undefined) merged[variableOf(key).variable] = value;
  }
  try {
    return { env: merged, config: loadConfig(merged) };
  } catch (error) {
    if (!isRerankerError(error) || error.code !== 'INVALID_CONFIG') throw error;
    const issues = (error.details?.errors ?? []) as ConfigIssue[];
    const messages = issues.map((issue) => withFlagNames(issue.message, flags));
    throw new RerankerError('INVALID_CONFIG', `${messages.join('; ')}.`, { details: { errors: issues } });
  }
}

/** Writes `--dtype` for `RERANKER_DTYPE` in a message (the library's), where that flag was given. */
export function withFlagNames(message: string, flags: EngineFlagValues): string {
  let result = message;
  for (const key of Object.keys(ENGINE_FLAGS) as (keyof typeof ENGINE_FLAGS)[]) {
    // Whole names only: RERANKER_MODEL must not match inside RERANKER_MODEL_REVISION.
    const name = new RegExp(`\\b${variableOf(key).variable}\\b`, 'g');
    if (flags[key] !== undefined) result = result.replace(name, ENGINE_FLAGS[key]);
  }
  return result;
}
