// Redis for the cluster tests: a unique key prefix on the shared Redis (removed afterwards), or a
// private redis-server child (@reranker/testkit/processes) that a test may kill and restart.
import { randomUUID } from 'node:crypto';
import { deletePrefix, type PrivateRedis, redisCli } from '@reranker/testkit/processes';

export { freePort, type PrivateRedis, startPrivateRedis } from '@reranker/testkit/processes';

/** The Redis every helper shares; tests keep to their own prefix on it. */
export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379';

export function uniquePrefix(name: string): string {
  return `cluster-test:${name}:${randomUUID()}:`;
}

/** How many keys match `pattern` (a Redis glob) on the Redis at `port`, e.g. the claims under a prefix. */
export async function countKeys(port: number, pattern: string): Promise<number> {
  const out = await redisCli(`redis://127.0.0.1:${port}`, ['--scan', '--pattern', pattern]);
  return out.split('\n').filter(Boolean).length;
}

/** Deletes every key under `prefix` (cache entries, claims, registry entries) on the Redis at `port`. */
export async function clearPrefix(port: number, prefix: string): Promise<void> {
  await deletePrefix(`redis://127.0.0.1:${port}`, prefix);
}

/** Stops a private Redis for afterAll, whatever state the test left it in. */
export async function stopPrivateRedis(redis: PrivateRedis | undefined): Promise<void> {
  await redis?.kill();
}
