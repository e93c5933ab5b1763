// /health is polled by every load balancer on every server: it must cost the same whatever Redis
// holds. A real server process in distributed mode; `redis-cli monitor` records every command Redis
// runs, and the commands under this test's private prefix between two markers around one /health
// call are compared with 3 and with 100 000 cache entries under the prefix.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRedisCache } from '@reranker/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, poll } from './cluster/http';
import { printLogsOnFailure, type ServerProcess, startServer, stopAll } from './cluster/processes';
import { clearPrefix, SHARED_REDIS_URL, uniquePrefix } from './cluster/redis';

const PREFIX = uniquePrefix('health');
const MANY = 100_000;
printLogsOnFailure();

let server: ServerProcess;
const cache = createRedisCache({ url: SHARED_REDIS_URL, keyPrefix: PREFIX, timeoutMs: 60_000 });

beforeAll(async () => {
  server = await startServer({
    redisUrl: SHARED_REDIS_URL,
    keyPrefix: PREFIX,
    // One background count at start, none while the test measures.
    env: { REDIS_SIZE_SAMPLE_MS: '3600000' },
  });
  await poll(
    async () => ((await getJson(`${server.url}/health`)).body.distributed?.shared_cache ? true : undefined),
    'the first background count of the shared cache',
  );
});

afterAll(async () => {
  await stopAll();
  // Entries first (SCAN + UNLINK, as the driver clears), then what is left (registry, claims).
  await cache.clear();
  await cache.dispose();
  await clearPrefix(6379, PREFIX);
});

function redisCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', ['-p', '6379', ...args], (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
  });
}

/** `name "arg" ...` of a MONITOR line: `<time> [<db> <client>] "cmd" "arg" ...`. */
function commandOf(line: string): { name: string; text: string } {
  const text = line.slice(line.indexOf(']') + 2);
  return { name: (/^"([^"]*)"/.exec(text)?.[1] ?? '').toLowerCase(), text };
}

/**
 * The commands Redis ran under the prefix during one GET /health, without the registry heartbeat
 * (SET of the server's entry, SADD to the index: every 2 s, whatever else happens), and its time.
 */
async function healthCommands(): Promise<{ commands: string[]; ms: number }> {
  const monitor: ChildProcess = spawn('redis-cli', ['-p', '6379', 'monitor'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let output = '';
  monitor.stdout?.on('data', (chunk) => (output += chunk));
  try {
    await poll(() => (output.startsWith('OK') ? true : undefined), 'redis-cli monitor to start', 10_000);
    const start = `health-start-${randomUUID()}`;
    const end = `health-end-${randomUUID()}`;
    await redisCli(['echo', start]);
    const began = performance.now();
    const health = await getJson(`${server.url}/health`);
    const ms = performance.now() - began;
    expect(health.status).toBe(200);
    await redisCli(['echo', end]);
    // MONITOR streams in execution order: once the end marker is in, everything before it is too.
    await poll(() => (output.includes(end) ? true : undefined), 'the end marker in the monitor', 10_000);
    const lines = output.split('\n');
    const from = lines.findIndex((line) => line.includes(start));
    const to = lines.findIndex((line) => line.includes(end));
    const commands = lines
      .slice(from + 1, to)
      .filter((line) => line.includes(PREFIX))
      .map(commandOf)
      .filter(
        ({ name, text }) =>
          !(name === 'set' && text.includes(`${PREFIX}~server:`)) &&
          !(name === 'sadd' && text.includes(`${PREFIX}~servers`)),
      )
      .map(({ name }) => name);
    return { commands, ms };
  } finally {
    monitor.kill();
  }
}

/** Writes `count` cache entries under the prefix, through the driver's pipelined setMany. */
async function fill(count: number): Promise<void> {
  const chunk = 10_000;
  for (let at = 0; at < count; at += chunk) {
    const entries = Array.from(
      { length: Math.min(chunk, count - at) },
      (_, i) => [`reranker:v2:bulk@main:000000000000:${at + i}`, [0.5]] as const,
    );
    await cache.setMany(entries, 600_000);
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function healthTimes(): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 9; i++) {
    const began = performance.now();
    await getJson(`${server.url}/health`);
    times.push(performance.now() - began);
  }
  return median(times);
}

describe('GET /health with Redis in distributed mode', () => {
  it('runs the same two Redis commands with 3 or 100 000 cache entries under the prefix', async () => {
    await fill(3);
    const few = [await healthCommands(), await healthCommands()];
    const fewMs = await healthTimes();

    await fill(MANY);
    expect(await cache.size()).toBeGreaterThanOrEqual(MANY);
    const many = [await healthCommands(), await healthCommands()];
    const manyMs = await healthTimes();

    // The registry's index and entries; the entry counts come from memory and the background count.
    for (const { commands } of [...few, ...many]) expect(commands).toEqual(['smembers', 'mget']);
    // A coarse guard only (the command count above is the proof): no growth with the keyspace.
    expect(manyMs, `median /health ${fewMs.toFixed(1)} ms with 3 keys`).toBeLessThan(fewMs * 5 + 50);
  });
});
