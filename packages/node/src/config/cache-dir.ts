import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';

type Env = Record<string, string | undefined>;

/**
 * Where downloaded models live when RERANKER_CACHE_DIR is unset: the user's cache folder, never
 * node_modules (transformers.js' default), which package managers wipe on every install.
 * `$XDG_CACHE_HOME/reranker` or `~/.cache/reranker` on Linux and macOS, `%LOCALAPPDATA%\reranker\cache`
 * on Windows.
 */
export function defaultCacheDir(
  env: Env = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (platform === 'win32') {
    const localAppData = nonEmpty(env.LOCALAPPDATA);
    const base =
      localAppData && win32.isAbsolute(localAppData) ? localAppData : win32.join(home, 'AppData', 'Local');
    return win32.join(base, 'reranker', 'cache');
  }
  // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
  const xdg = nonEmpty(env.XDG_CACHE_HOME);
  const base = xdg && posix.isAbsolute(xdg) ? xdg : posix.join(home, '.cache');
  return posix.join(base, 'reranker');
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
