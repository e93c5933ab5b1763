import { HttpError } from '../errors';
import type { ModelEntry } from './entry';

const mb = (n: number) => `${Math.round((n / 1024 / 1024) * 100) / 100} MB`;

const resident = (e: ModelEntry) => e.state === 'loaded' || e.state === 'loading';

/**
 * What loading `target` (`bytes` of weights) within `budget` takes: the least recently used models
 * without requests to evict, in order, until it fits; and the 503 when it cannot fit: at once when the
 * model alone is larger than the budget (Retry-After 60 s: only a new configuration helps), else when
 * the models in use hold the rest (Retry-After 5 s: they may soon be idle; no model is evicted then).
 */
export function planRoom(
  entries: readonly ModelEntry[],
  target: ModelEntry,
  bytes: number,
  budget: number,
): { victims: ModelEntry[]; refusal?: HttpError } {
  if (bytes > budget) {
    return {
      victims: [],
      refusal: new HttpError(
        503,
        'OVER_MEMORY_BUDGET',
        `Model "${target.name}" (${mb(bytes)}) is larger than MODEL_MEMORY_BUDGET_MB (${mb(budget)}): raise the budget or use a smaller dtype.`,
        { retryAfter: 60 },
      ),
    };
  }
  const others = entries.filter((e) => e !== target && resident(e));
  let held = others.reduce((sum, e) => sum + (e.bytes ?? 0), 0);
  const idle = others
    .filter((e) => !e.pinned && e.state === 'loaded' && e.users === 0)
    .sort((a, b) => a.lastUsedAt - b.lastUsedAt);
  const victims: ModelEntry[] = [];
  while (held + bytes > budget && idle.length > 0) {
    const victim = idle.shift()!;
    victims.push(victim);
    held -= victim.bytes ?? 0;
  }
  if (held + bytes <= budget) return { victims };
  // Evicting would not make room: keep the idle models loaded.
  const busy = others.filter((e) => !victims.includes(e)).map((e) => e.name);
  return {
    victims: [],
    refusal: new HttpError(
      503,
      'OVER_MEMORY_BUDGET',
      `Model "${target.name}" (${mb(bytes)}) does not fit in MODEL_MEMORY_BUDGET_MB (${mb(budget)}) while ${busy.join(', ')} serve requests (${mb(held)}); retry shortly.`,
      { retryAfter: 5 },
    ),
  };
}

/**
 * Waits for a model's load, at most `ms` (the queue timeout: then 503 LOADING, the load goes on), or
 * until the request is aborted.
 */
export async function waitForLoad(
  name: string,
  load: Promise<void>,
  ms: number,
  signal?: AbortSignal,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      load,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new HttpError(
                503,
                'LOADING',
                `Model "${name}" is still loading after ${ms} ms; retry in a few seconds.`,
                {
                  retryAfter: 5,
                },
              ),
            ),
          ms,
        );
        onAbort = () => reject(signal!.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}
