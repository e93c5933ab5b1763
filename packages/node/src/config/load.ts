import { DEFAULTS, RerankerError } from '@reranker/core';
import type { RerankerConfig } from './types';
import { VARIABLE_SPECS, type VariableSpec } from './variables';

type Env = Record<string, string | undefined>;
type Key = keyof RerankerConfig;

/** One bad variable, as listed in `INVALID_CONFIG` errors' `details.errors`. */
export interface ConfigIssue {
  variable: string;
  value: string;
  message: string;
}

/**
 * Reads the service's settings from environment variables (see `CONFIG_VARIABLES`). Empty values
 * count as unset. Every bad variable is reported at once in one `INVALID_CONFIG` error.
 */
export function loadConfig(env: Env = process.env): RerankerConfig {
  const issues: ConfigIssue[] = [];
  const values: Partial<Record<Key, unknown>> = {};
  for (const key of Object.keys(VARIABLE_SPECS) as Key[]) {
    const value = readVariable(VARIABLE_SPECS[key], env, issues);
    if (value !== undefined) values[key] = value;
  }
  const config = values as RerankerConfig;
  if (issues.length === 0) checkRelations(config, issues);
  if (issues.length > 0) {
    const list = issues.map((issue) => issue.message).join('; ');
    const noun = issues.length === 1 ? 'variable is' : `${issues.length} variables are`;
    throw new RerankerError('INVALID_CONFIG', `Invalid configuration: ${noun} wrong: ${list}.`, {
      details: { errors: issues },
    });
  }
  return config;
}

function readVariable(spec: VariableSpec<Key>, env: Env, issues: ConfigIssue[]): unknown {
  // All names are validated, so a typo in an alias is reported even when the primary name wins.
  let found: unknown;
  for (const variable of [spec.variable, ...(spec.aliases ?? [])]) {
    const raw = env[variable]?.trim();
    if (!raw) continue;
    const value = spec.kind.parse(raw);
    if (value === undefined) {
      issues.push({
        variable,
        value: raw,
        message: `${variable}="${raw}" is not valid: use ${spec.kind.accepts}`,
      });
    } else {
      found ??= value;
    }
  }
  if (found !== undefined) return found;
  const fallback = spec.computedDefault?.value(env) ?? spec.default;
  if (fallback === undefined) return undefined;
  const value = spec.kind.parse(fallback);
  if (value === undefined) {
    throw new RerankerError(
      'INVALID_CONFIG',
      `Bug: the built-in default of ${spec.variable} ("${fallback}") is invalid.`,
    );
  }
  return value;
}

/** Checks between variables, once each is valid on its own. */
function checkRelations(config: RerankerConfig, issues: ConfigIssue[]): void {
  // Unset lengths are the engine's per model kind. A set RERANKER_MAX_LENGTH is checked against the
  // query limit, the cross-encoder default when unset (LLM rerankers take a quarter of the length, but a
  // window of 64 tokens or less cannot hold their prompt anyway).
  const { maxLength } = config;
  const maxQueryTokens = config.maxQueryTokens ?? DEFAULTS.maxQueryTokens;
  if (maxLength !== undefined && maxQueryTokens >= maxLength) {
    issues.push({
      variable: 'RERANKER_MAX_QUERY_TOKENS',
      value: String(maxQueryTokens),
      message: `RERANKER_MAX_QUERY_TOKENS=${maxQueryTokens} must be below RERANKER_MAX_LENGTH=${maxLength}, to leave room for the passage: lower it or raise RERANKER_MAX_LENGTH`,
    });
  }
  // Against the cross-encoder default when unset (an LLM reranker's longer rows then run alone).
  const length = maxLength ?? DEFAULTS.maxLength;
  if (config.maxBatchTokens < length) {
    issues.push({
      variable: 'MAX_BATCH_TOKENS',
      value: String(config.maxBatchTokens),
      message: `MAX_BATCH_TOKENS=${config.maxBatchTokens} must be at least RERANKER_MAX_LENGTH=${length}, or a single full-length pair could never run: raise it or lower RERANKER_MAX_LENGTH`,
    });
  }
}
