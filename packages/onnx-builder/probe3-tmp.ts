import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildOnnxModel, quantizeDynamicInt8 } from './src/index';
import { synthesizedModelDir } from '../testkit/src/index.ts';
const dir = await synthesizedModelDir((process.argv[2] ?? 'tiny') as any);
const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
const { openCheckpoint } = await import('./src/index');
const w = await openCheckpoint(dir);
const B = 4, S = 24;
const ids = BigInt64Array.from({ length: B * S }, (_, i) => BigInt(5 + ((i * 37) % 1500)));
const mask = BigInt64Array.from({ length: B * S }, (_, i) => (i % S) < S - (i / S | 0) * 5 ? 1n : 0n);
async function run(bytes: Uint8Array, level: any) {
  const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: level, logSeverityLevel: 3 });
  const feeds: any = { input_ids: new ort.Tensor('int64', ids, [B, S]), attention_mask: new ort.Tensor('int64', mask, [B, S]) };
  if (s.inputNames.includes('token_type_ids')) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(B * S), [B, S]);
  return Array.from((await s.run(feeds)).logits!.data as Float32Array);
}
const res: Record<string, number[]> = {};
for (const operators of ['standard', 'fused'] as const) {
  const fp32 = await buildOnnxModel(config, w, { operators });
  const q8 = quantizeDynamicInt8(fp32);
  for (const level of ['disabled', 'all']) {
    res[`${operators} fp32 ${level}`] = await run(fp32, level);
    res[`${operators} q8 ${level}`] = await run(q8, level);
  }
}
const base = res['standard fp32 disabled']!;
for (const [k, v] of Object.entries(res)) console.log(k.padEnd(26), Math.max(...v.map((x, i) => Math.abs(x - base[i]!))).toExponential(2), v.slice(0,4).map(x=>x.toFixed(4)).join(' '));
await w.close();
