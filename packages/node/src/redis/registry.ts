import { randomUUID } from 'node:crypto';
import { errorMessage, type Logger, RerankerError, silentLogger } from '@reranker/core';
import { Redis } from 'ioredis';
import type { ServerLoad, ServerTotals } from './cluster-metrics';
import type { ServedModel } from './cluster-models';

/** What a server tells the cluster about itself with every heartbeat. */
export interface ServerEntry {
  id: string;
  host: string;
  port: number;
  model: string;
  backend: string;
  device: string;
  /** ISO time the server registered. */
  started_at: string;
  /** Requests running and waiting at the last heartbeat, and the server's MAX_PARALLEL_REQUESTS. */
  load: ServerLoad;
  /** Request totals and latency histogram since the server started, for GET /metrics/cluster. */
  metrics?: ServerTotals;
  /** The models the server serves, which are loaded, and their request totals (GET /metrics/cluster). */
  models?: ServedModel[];
}

export interface ServerRegistryOptions {
  /** Where to connect, when no `client` is given. @default 'redis://127.0.0.1:6379' */
  url?: string;
  /** A client to use instead; the caller keeps ownership (stop leaves it open). */
  client?: Redis;
  /** The same prefix as the cache's; entries live under `<prefix>~server:`. @default 'reranker:' */
  keyPrefix?: string;
  /** Longest wait for one Redis round trip. @default 200 */
  timeoutMs?: number;
  /** Time between heartbeats. @default 2000 */
  heartbeatMs?: number;
  /** What this server is, read at every heartbeat (load changes). */
  describe(): Omit<ServerEntry, 'id' | 'started_at'>;
  /** Where a failing heartbeat is reported (once per failure streak). @default silent */
  logger?: Logger;
}

export interface ServerRegistry {
  readonly id: string;
  /** Registers now and heartbeats every `heartbeatMs`; an entry missing three beats disappears. */
  start(): Promise<void>;
  /** The live servers, this one included, sorted by id. Rejects when Redis does not answer. */
  list(): Promise<ServerEntry[]>;
  /** Stops heartbeating and removes this server's entry. Idempotent; never throws. */
  stop(): Promise<void>;
}

/**
 * Servers of one deployment find each other through Redis: each writes its entry with a TTL of three
 * heartbeats (`SET PX`), so a crashed server drops out of `list()` within that time, and adds its id
 * to an index set (`SADD <prefix>~servers`). `list()` reads the index and the entries (`SMEMBERS`,
 * `MGET`): two commands however many keys Redis holds, where a `SCAN` would walk the whole keyspace on
 * every /health probe. Ids whose entry expired are removed from the index as `list()` meets them.
 */
export function createServerRegistry(options: ServerRegistryOptions): ServerRegistry {
  const keyPrefix = options.keyPrefix ?? 'reranker:';
  const timeoutMs = positive('timeoutMs', options.timeoutMs ?? 200);
  const heartbeatMs = positive('heartbeatMs', options.heartbeatMs ?? 2000);
  const logger = options.logger ?? silentLogger;
  const owned = options.client === undefined;
  const client =
    options.client ?? new Redis(options.url ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  if (owned) client.on('error', () => {});
  const id = randomUUID();
  const startedAt = new Date().toISOString();
  const base = `${keyPrefix}~server:`;
  const index = `${keyPrefix}~servers`;
  let timer: ReturnType<typeof setInterval> | undefined;
  let failing = false;
  let stopped = false;

  const bounded = <T>(promise: Promise<T>): Promise<T> => {
    let handle: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      handle = setTimeout(
        () => reject(new RerankerError('TIMEOUT', `Redis did not answer within ${timeoutMs} ms.`)),
        timeoutMs,
      );
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(handle));
  };

  const beat = async (): Promise<void> => {
    if (stopped) return;
    const entry: ServerEntry = { ...options.describe(), id, started_at: startedAt };
    try {
      const results = await bounded(
        client
          .pipeline()
          .set(base + id, JSON.stringify(entry), 'PX', heartbeatMs * 3)
          .sadd(index, id)
          .exec(),
      );
      const failure = results?.find(([error]) => error)?.[0];
      if (failure) throw failure;
      if (failing) logger.info({ server: id }, 'server registry heartbeat recovered');
      failing = false;
    } catch (error) {
      if (!failing) {
        logger.warn({ server: id, error: errorMessage(error) }, 'server registry heartbeat failed; retrying');
      }
      failing = true;
    }
  };

  return {
    id,
    async start() {
      if (timer || stopped) return;
      timer = setInterval(() => void beat(), heartbeatMs);
      // Heartbeats must not keep a process alive that is otherwise done.
      timer.unref();
      await beat();
    },
    async list() {
      const ids = await bounded(client.smembers(index));
      if (ids.length === 0) return [];
      const values = await bounded(client.mget(ids.map((member) => base + member)));
      const gone = ids.filter((_, i) => values[i] === null);
      // Expired entries (crashed servers) leave the index; a failure here only delays that.
      if (gone.length > 0) void bounded(client.srem(index, ...gone)).catch(() => {});
      return values
        .flatMap((value) => (value === null ? [] : [parse(value)]))
        .filter((entry): entry is ServerEntry => entry !== undefined)
        .sort((a, b) => a.id.localeCompare(b.id));
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await bounded(
        client
          .pipeline()
          .del(base + id)
          .srem(index, id)
          .exec(),
      ).catch(() => {});
      if (owned) client.disconnect();
    },
  };
}

function parse(text: string): ServerEntry | undefined {
  try {
    const entry = JSON.parse(text) as ServerEntry;
    return typeof entry?.id === 'string' ? entry : undefined;
  } catch {
    return undefined;
  }
}

function positive(field: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RerankerError(
      'INVALID_CONFIG',
      `Server registry ${field} must be a number of milliseconds above 0, got ${String(value)}.`,
      { details: { field, value } },
    );
  }
  return value;
}
