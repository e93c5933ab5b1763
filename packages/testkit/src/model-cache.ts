import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { layoutKey, type SynthesizedLayout } from './layout';
import type { PresetName } from './presets';
import { DEFAULT_SEED, synthesizeCrossEncoder } from './synthesize';

const here = dirname(fileURLToPath(import.meta.url));

// The graph writer's sources, next to the kit's in the monorepo (the kit is private and lives only there).
const builderSources = join(here, '..', '..', 'onnx-builder', 'src');

/**
 * A hash of the code that writes the models (the kit's and @reranker/onnx-builder's): a cached model
 * is reused only if that code is unchanged.
 */
function kitFingerprint(): string {
  const hash = createHash('sha256');
  for (const dir of [here, builderSources]) {
    if (!existsSync(dir)) continue;
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' });
    for (const file of files.sort()) {
      if (/\.(ts|js)$/.test(file)) hash.update(file).update(readFileSync(join(dir, file)));
    }
  }
  return hash.digest('hex').slice(0, 16);
}

// Taken when this module loads, so a process keeps one key even if the kit's files change under it.
const fingerprint = kitFingerprint();

/**
 * The folder of a synthesized preset, written on first use under the system temp dir and reused
 * afterwards (by tests in other workers too: the folder appears atomically by rename).
 */
export async function synthesizedModelDir(
  preset: PresetName,
  options: { seed?: number; root?: string; layout?: SynthesizedLayout } = {},
): Promise<string> {
  const seed = options.seed ?? DEFAULT_SEED;
  return cachedSynthesis(`${preset}.seed${seed}.${layoutKey(options.layout)}`, options.root, (outDir) =>
    synthesizeCrossEncoder({ preset, seed, outDir, layout: options.layout }),
  );
}

/**
 * A folder written once by `write` under `root` (default: the system temp dir) and reused while the
 * kit's code is unchanged; `key` names what was written (preset, seed, layout).
 */
export async function cachedSynthesis(
  key: string,
  root: string | undefined,
  write: (outDir: string) => Promise<unknown>,
): Promise<string> {
  const base = root ?? join(tmpdir(), 'reranker-testkit');
  // `.` separates the parts: preset names contain `-`, and one prefix must never match another preset.
  // (transformers.js loads a local folder by name only if it is a valid hub id: no `~`, `..` or `--`.)
  const prefix = `${key}.`;
  const dir = join(base, `${prefix}${fingerprint}`);
  if (existsSync(dir)) return dir;
  await mkdir(base, { recursive: true });
  const staging = await mkdtemp(join(base, `.staging-${key.split('.')[0]}-`));
  try {
    await write(staging);
    await rename(staging, dir).catch(async (error: NodeJS.ErrnoException) => {
      // Another worker finished first: its copy is identical, keep it.
      if (!existsSync(dir)) throw error;
      await rm(staging, { recursive: true, force: true });
    });
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  await pruneStale(base, prefix, dir);
  return dir;
}

/** Removes copies written by older versions of the kit, so the temp dir does not grow with every edit. */
async function pruneStale(root: string, prefix: string, keep: string): Promise<void> {
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    if (name.startsWith(prefix) && path !== keep) await rm(path, { recursive: true, force: true });
  }
}
