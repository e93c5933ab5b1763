import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { DTYPES, type Dtype, errorMessage, RerankerError } from '@reranker/core';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { ServerConfig } from '../config';
import { MODEL_NAME } from './variables';

/** One served model and its own settings (unset ones come from the engine's variables). */
export interface ModelSpec {
  /** What clients send in `model`, and the label of its metrics. */
  name: string;
  /** Hub id or folder, as RERANKER_MODEL takes. */
  source: string;
  dtype?: Dtype;
  maxLength?: number;
  batchSize?: number | 'auto';
  /** Instruction of instruction-following (LLM) rerankers; passed to the engine as is. */
  instruction?: string;
  /**
   * The model's share of the compute budget's lanes relative to the other models waiting (2: two
   * batches for another's one). @default 1
   */
  weight?: number;
  /** More names that select this model. @default [] */
  aliases: string[];
  /** Requests of this model running at once. @default MAX_PARALLEL_REQUESTS */
  maxParallel?: number;
  /** Requests of this model waiting for a slot. @default MAX_QUEUE_SIZE */
  maxQueue?: number;
  /** Load at start instead of on first use. @default true for the default model, false for others */
  preload: boolean;
}

const alias = z.string().regex(/^\S{1,200}$/, 'an alias is 1 to 200 characters without spaces');

const entrySchema = z.strictObject({
  source: z.string().min(1).optional(),
  dtype: z.enum(DTYPES).optional(),
  maxLength: z.number().int().min(8).max(65_536).optional(),
  batchSize: z.union([z.number().int().min(1).max(4096), z.literal('auto')]).optional(),
  instruction: z.string().min(1).optional(),
  weight: z.number().positive().max(1000).optional(),
  aliases: z.array(alias).optional(),
  maxParallel: z.number().int().min(1).max(10_000).optional(),
  maxQueue: z.number().int().min(0).max(1_000_000).optional(),
  preload: z.boolean().optional(),
});
type FileEntry = z.infer<typeof entrySchema>;

const fileSchema = z.strictObject({
  models: z.record(
    z.string().regex(MODEL_NAME, 'a model name is letters, digits, . _ or - (a letter or digit first)'),
    // A bare string is the source alone.
    z.preprocess((value) => (typeof value === 'string' ? { source: value } : value), entrySchema),
  ),
});

/**
 * The served models from RERANKER_MODELS and RERANKER_MODELS_FILE, or undefined when neither is set
 * (RERANKER_MODEL alone, as before). A model named in both takes its source from RERANKER_MODELS and
 * its other settings from the file. Every problem (bad file entries, a model without a source,
 * duplicate names or aliases, an unknown default) is reported at once in one `INVALID_CONFIG` error.
 */
export function loadModelSpecs(
  config: Pick<ServerConfig, 'models' | 'modelsFile' | 'defaultModel'>,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): ModelSpec[] | undefined {
  if (config.models.length === 0 && !config.modelsFile) return undefined;
  const problems: string[] = [];
  const file = config.modelsFile ? readModelsFile(config.modelsFile, readFile, problems) : {};
  const fromEnv = new Map(config.models.map((m) => [m.name, m.source]));
  const names = [...fromEnv.keys(), ...Object.keys(file).filter((name) => !fromEnv.has(name))];
  const defaultName = config.defaultModel ?? names[0];
  if (config.defaultModel && !names.includes(config.defaultModel)) {
    problems.push(
      `RERANKER_DEFAULT_MODEL="${config.defaultModel}" is not a configured model (configured: ${names.join(', ') || 'none'})`,
    );
  }
  const specs: ModelSpec[] = [];
  for (const name of names) {
    const entry = file[name] ?? {};
    const source = fromEnv.get(name) ?? entry.source;
    if (!source) {
      problems.push(`models.${name}: has no source (add "source", or ${name}=<source> to RERANKER_MODELS)`);
      continue;
    }
    specs.push({
      name,
      source,
      ...definedOnly({
        dtype: entry.dtype,
        maxLength: entry.maxLength,
        batchSize: entry.batchSize,
        instruction: entry.instruction,
        weight: entry.weight,
        maxParallel: entry.maxParallel,
        maxQueue: entry.maxQueue,
      }),
      aliases: entry.aliases ?? [],
      preload: entry.preload ?? name === defaultName,
    });
  }
  checkNames(specs, problems);
  if (names.length === 0 && problems.length === 0) problems.push(`${config.modelsFile}: lists no models`);
  if (problems.length > 0) {
    const noun = problems.length === 1 ? 'problem' : `${problems.length} problems`;
    throw new RerankerError(
      'INVALID_CONFIG',
      `Invalid model configuration (${noun}): ${problems.join('; ')}.`,
      {
        details: { errors: problems },
      },
    );
  }
  return specs;
}

/** The file's entries by name; what is wrong with it goes to `problems`, one line per bad entry. */
function readModelsFile(
  path: string,
  readFile: (path: string) => string,
  problems: string[],
): Record<string, FileEntry> {
  let raw: unknown;
  try {
    const text = readFile(path);
    raw = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    problems.push(`RERANKER_MODELS_FILE="${path}" cannot be read: ${errorMessage(error)}`);
    return {};
  }
  const parsed = fileSchema.safeParse(raw);
  if (parsed.success) return parsed.data.models;
  // One line per bad entry, naming every field wrong in it.
  const byEntry = new Map<string, string[]>();
  for (const issue of parsed.error.issues) {
    const [top, name, ...rest] = issue.path.map(String);
    const entry = top === 'models' && name !== undefined ? `models.${name}` : top ? top : '(file)';
    const field = rest.length > 0 ? `${rest.join('.')}: ` : '';
    // A bad name's own message sits under zod's "Invalid key in record".
    const message =
      issue.code === 'invalid_key'
        ? `"${name}" is not a valid name: ${issue.issues[0]?.message}`
        : issue.message;
    byEntry.set(entry, [...(byEntry.get(entry) ?? []), `${field}${message}`]);
  }
  for (const [entry, messages] of byEntry) problems.push(`${entry}: ${messages.join(', ')}`);
  const good: Record<string, FileEntry> = {};
  if (raw && typeof raw === 'object' && 'models' in raw && raw.models && typeof raw.models === 'object') {
    for (const [name, value] of Object.entries(raw.models)) {
      const one = fileSchema.safeParse({ models: { [name]: value } });
      if (one.success) Object.assign(good, one.data.models);
    }
  }
  return good;
}

/** Aliases must not collide with each other or with model names (compared case-insensitively). */
function checkNames(specs: ModelSpec[], problems: string[]): void {
  const owner = new Map<string, string>();
  for (const spec of specs) owner.set(spec.name.toLowerCase(), spec.name);
  for (const spec of specs) {
    for (const name of spec.aliases) {
      const key = name.toLowerCase();
      const taken = owner.get(key);
      if (taken !== undefined && taken !== spec.name) {
        problems.push(`models.${spec.name}: alias "${name}" already names ${taken}`);
      } else owner.set(key, spec.name);
    }
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
