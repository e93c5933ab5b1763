import { spawn } from 'node:child_process';
import { chmod, copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BackendLoadOptions, type EncodedBatch, silentLogger } from '@reranker/core';
import { synthesizedModelDir, synthesizedQwen3Dir } from '@reranker/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PythonBackendOptions, pythonBackend } from '../src/python/backend';

const PYTHON = '/usr/bin/python3'; // Debian's python3-numpy (CI); the python3 on PATH may lack numpy
const WORKER = fileURLToPath(new URL('../python/reranker_worker.py', import.meta.url));

let tiny: string;
let scratch: string;
beforeAll(async () => {
  tiny = await synthesizedModelDir('tiny');
  scratch = await mkdtemp(join(tmpdir(), 'reranker-python-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function loadOptions(dir: string): Promise<BackendLoadOptions> {
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
  const read = async (path: string) => new Uint8Array(await readFile(join(dir, path)));
  const model = { id: dir, source: `local:${dir}`, revision: 'local', localDir: dir, read };
  return { model, config, dtype: 'fp32', logger: silentLogger };
}

/** `[CLS] 200 201 [SEP]` as one row. */
const batch = (): EncodedBatch => ({
  rows: 1,
  width: 4,
  inputIds: BigInt64Array.from([101n, 200n, 201n, 102n]),
  attentionMask: BigInt64Array.from([1n, 1n, 1n, 1n]),
  tokenTypeIds: new BigInt64Array(4),
});

/** A stand-in interpreter: a shell script that ignores its arguments and plays a broken worker. */
async function fakePython(name: string, body: string): Promise<string> {
  const path = join(scratch, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

const READY = `echo '{"type":"ready","engine":"numpy","device":"cpu","model":"m","dtype":"fp32","pid":'$$'}'`;

const load = async (options: PythonBackendOptions, dir = tiny) =>
  pythonBackend({ engine: 'numpy', ...options }).load(await loadOptions(dir));

describe('reranker_worker.py protocol', () => {
  it('says ready with its engine, device, model, dtype and pid, and answers a bad request with an error line', async () => {
    const child = spawn(PYTHON, [WORKER, '--model', tiny, '--engine', 'numpy'], { stdio: 'pipe' });
    const lines: Record<string, unknown>[] = [];
    let buffer = '';
    let stderr = '';
    let exitCode: number | null | undefined;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // 'close' comes after the pipes are drained, so stdout lines and stderr are complete by then.
    child.once('close', (code) => {
      exitCode = code;
    });
    // Fails at once, with the worker's stderr, when it dies instead of answering (numpy missing, say).
    const next = () =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const poll = () => {
          if (lines.length > 0) resolve(lines.shift()!);
          else if (exitCode !== undefined) reject(new Error(`the worker exited (${exitCode}): ${stderr}`));
          else setTimeout(poll, 5);
        };
        poll();
      });
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      for (const part of parts) lines.push(JSON.parse(part));
    });
    expect(await next()).toEqual({
      type: 'ready',
      engine: 'numpy',
      device: 'cpu',
      model: tiny,
      dtype: 'fp32',
      pid: child.pid,
      numLabels: 1,
    });
    child.stdin.write(`${JSON.stringify({ id: 7, input_ids: [[101, 102]] })}\n`);
    const failed = await next();
    expect(failed).toMatchObject({ id: 7, error: expect.stringContaining('attention_mask') });
    const good = { id: 8, input_ids: [[101, 102]], attention_mask: [[1, 1]], token_type_ids: [[0, 0]] };
    child.stdin.write(`${JSON.stringify(good)}\n`);
    expect(await next()).toMatchObject({ id: 8, logits: [[expect.any(Number)]] });
    child.stdin.end();
    if (exitCode === undefined) await new Promise((resolve) => child.once('close', resolve));
    expect(exitCode).toBe(0);
  });
});

describe('pythonBackend load and failures', () => {
  it('refuses an LLM reranker before starting Python: BACKEND_UNAVAILABLE naming the onnx backend', async () => {
    const qwen3 = await synthesizedQwen3Dir('tiny-qwen3');
    const options = await loadOptions(qwen3);
    // A fake interpreter that would say ready: the refusal comes before any spawn.
    const python = await fakePython('ready-python', `${READY}\nsleep 5`);
    const kind = {
      name: 'decoder-yes-no',
      numLabels: 2,
      graph: { inputs: 'prefix-cache' },
      padTokenId: 0,
    } as const;
    const error = await pythonBackend({ engine: 'numpy', python })
      .load({ ...options, kind })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    expect((error as Error).message).toMatch(/serves cross-encoders only.*decoder-yes-no.*onnxruntime-node/);
  });

  it('needs model.safetensors and names the original repo to use instead of an ONNX-only one', async () => {
    const onnxOnly = await mkdtemp(join(scratch, 'onnx-only-'));
    await copyFile(join(tiny, 'config.json'), join(onnxOnly, 'config.json'));
    await expect(load({ python: PYTHON }, onnxOnly)).rejects.toMatchObject({
      code: 'MODEL_LOAD_FAILED',
      message: expect.stringContaining('cross-encoder/ms-marco-MiniLM-L-6-v2'),
    });
  });

  it('an interpreter that does not exist is BACKEND_UNAVAILABLE naming RERANKER_PYTHON', async () => {
    await expect(load({ python: join(scratch, 'no-such-python') })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: expect.stringContaining('RERANKER_PYTHON'),
    });
  });

  it('the mlx engine on an interpreter without mlx is BACKEND_UNAVAILABLE quoting the import error', async () => {
    // Debian's python3 has no mlx (there is no python3-mlx package).
    await expect(load({ python: PYTHON, engine: 'mlx' })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: expect.stringMatching(/exited with code 2 before it was ready.*No module named 'mlx'/),
    });
  });

  it('a worker that never says ready fails the load after startupTimeoutMs', async () => {
    const silent = await fakePython('silent.sh', 'exec sleep 30');
    await expect(load({ python: silent, startupTimeoutMs: 300 })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: expect.stringContaining('did not say ready within 300 ms'),
    });
  });

  it('garbage instead of the ready line fails the load with the garbage quoted', async () => {
    const noisy = await fakePython('noisy-start.sh', 'echo "Loading weights... done"; exec sleep 30');
    await expect(load({ python: noisy })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: expect.stringContaining('"Loading weights... done" where its ready line was expected'),
    });
  });

  it('garbage instead of an answer rejects the batch with BACKEND_FAILED and restarts the worker', async () => {
    const garbage = await fakePython(
      'garbage.sh',
      `${READY}\nwhile read line; do echo '<html>oops</html>'; done`,
    );
    const backend = await load({ python: garbage });
    try {
      for (let attempt = 1; attempt <= 2; attempt++) {
        await expect(backend.run(batch())).rejects.toMatchObject({
          code: 'BACKEND_FAILED',
          message: expect.stringContaining('"<html>oops</html>", which is not a protocol response'),
        });
        expect(backend.describe!().workerRestarts).toBe(attempt);
      }
    } finally {
      await backend.dispose();
    }
  });

  it('an abort of a batch the worker holds rejects it with ABORTED', async () => {
    const mute = await fakePython('mute.sh', `${READY}\nexec sleep 30`);
    const backend = await load({ python: mute });
    try {
      const controller = new AbortController();
      const running = backend.run(batch(), { signal: controller.signal });
      controller.abort();
      await expect(running).rejects.toMatchObject({ code: 'ABORTED' });
    } finally {
      await backend.dispose();
    }
  });

  it('dispose ends the real worker', async () => {
    const backend = await load({ python: PYTHON });
    const pid = backend.describe!().pid as number;
    expect(() => process.kill(pid, 0)).not.toThrow();
    await backend.dispose();
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('a worker that ignores stdin and SIGTERM is killed on dispose', async () => {
    const stubborn = await fakePython(
      'stubborn.sh',
      `trap '' TERM\n${READY}\nwhile true; do sleep 0.1; done`,
    );
    const backend = await load({ python: stubborn });
    const pid = backend.describe!().pid as number;
    await backend.dispose();
    expect(() => process.kill(pid, 0)).toThrow();
  }, 15_000);
});
