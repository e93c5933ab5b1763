import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { synthesizedModelDir } from '../testkit/src/index.ts';
import onnxProto from 'onnx-proto';
const { onnx } = onnxProto;
const preset = process.argv[2] as any;
const file = process.argv[3] ?? 'model.onnx';
const dir = await synthesizedModelDir(preset);
const out = `/tmp/gf/${preset}-${file}.opt.onnx`;
const s = await ort.InferenceSession.create(join(dir, 'onnx', file), { graphOptimizationLevel: 'all', optimizedModelFilePath: out, intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
await s.release();
const m = onnx.ModelProto.decode(await readFile(out));
const counts: Record<string, number> = {};
for (const n of m.graph!.node!) { const k = (n.domain ? n.domain + ':' : '') + n.opType; counts[k] = (counts[k] ?? 0) + 1; }
console.log(preset, file, counts);
