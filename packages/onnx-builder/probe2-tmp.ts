import onnxProto from 'onnx-proto';
import * as ortNode from 'onnxruntime-node';
const { onnx } = onnxProto;
const F = onnx.TensorProto.DataType.FLOAT, I32 = onnx.TensorProto.DataType.INT32;
const B=2,S=5,H=8,N=2;
const vi = (name: string, t: number, dims: any[]) => ({ name, type: { tensorType: { elemType: t, shape: { dim: dims.map((d) => typeof d === 'number' ? { dimValue: d } : { dimParam: d }) } } } });
const init = (name: string, dims: number[]) => ({ name, dims, dataType: F, rawData: new Uint8Array(Float32Array.from({length: dims.reduce((a,b)=>a*b,1)}, (_, i) => Math.sin(i+1)).buffer) });
const INT = onnx.AttributeProto.AttributeType.INT, FL = onnx.AttributeProto.AttributeType.FLOAT;
const op = process.argv[2];
let nodes: any[] = [];
if (op === 'mhab') nodes = [{ opType: 'MultiHeadAttention', domain: 'com.microsoft', input: ['x','x','x','','mask','biasB'], output: ['y'], attribute: [{name:'num_heads', type: INT, i: N},{name:'scale', type: FL, f: 0.3}] }];
if (op === 'mhab1') nodes = [{ opType: 'MultiHeadAttention', domain: 'com.microsoft', input: ['x','x','x','','','bias1'], output: ['y'], attribute: [{name:'num_heads', type: INT, i: N}] }];
if (op === 'skip2') nodes = [{ opType: 'SkipLayerNormalization', domain: 'com.microsoft', input: ['x','sh','g'], output: ['y','', '', 'sum'], attribute: [{name:'epsilon', type: FL, f: 1e-5}] }];
if (op === 'mha') nodes = [{ opType: 'MultiHeadAttention', domain: 'com.microsoft', input: ['x','x','x','','mask','bias4'], output: ['y'], attribute: [{name:'num_heads', type: INT, i: N}] }];
if (op === 'skip') nodes = [{ opType: 'SkipLayerNormalization', domain: 'com.microsoft', input: ['x','x','g','b'], output: ['y','', '', 'sum'], attribute: [{name:'epsilon', type: FL, f: 1e-5}] }];
if (op === 'biasgelu') nodes = [{ opType: 'BiasGelu', domain: 'com.microsoft', input: ['x','g'], output: ['y'] }];
if (op === 'attn') nodes = [{ opType: 'Attention', domain: 'com.microsoft', input: ['x','w','g3','mask'], output: ['y'], attribute: [{name:'num_heads', type: INT, i: N}] }];
const model = { irVersion: 8, opsetImport: [{ domain: '', version: 17 }, { domain: 'com.microsoft', version: 1 }], graph: { name: 'g', node: nodes,
  input: [vi('x', F, [B,S,H]), ...((op==='mha'||op==='attn'||op==='mhab') ? [vi('mask', I32, [B,S])] : [])], output: [vi('y', F, [B,S,H])],
  initializer: [init('g',[H]), init('b',[H]), init('w',[H,3*H]), init('g3',[3*H]), init('bias4',[1,1,S,S]), init('biasB',[B,N,S,S]), init('bias1',[B,1,S,S]), init('sh',[S,H])] } };
const bytes = onnx.ModelProto.encode(model).finish();
const x = new ortNode.Tensor('float32', Float32Array.from({length:B*S*H},(_, i)=>Math.cos(i)), [B,S,H]);
const mask = new ortNode.Tensor('int32', Int32Array.from([1,1,1,1,1,1,1,1,0,0]), [B,S]);
const feeds: any = { x }; if (op==='mha'||op==='attn'||op==='mhab') feeds.mask = mask; 
const s = await ortNode.InferenceSession.create(bytes, { graphOptimizationLevel: "all", logSeverityLevel: 3 });
const r = await s.run(feeds, ); console.log('node', op, Array.from((r.y.data as Float32Array).slice(0,4)));
const ortWeb = await import('/work/wt/graph-fusion/node_modules/.pnpm/onnxruntime-web@1.30.0/node_modules/onnxruntime-web/dist/ort.node.min.mjs');
ortWeb.env.wasm.numThreads = 1;
try { const w = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
const xw = new ortWeb.Tensor('float32', x.data as Float32Array, [B,S,H]);
const fw: any = { x: xw }; if (feeds.mask) fw.mask = new ortWeb.Tensor('int32', mask.data as Int32Array, [B,S]);
const rw = await w.run(fw); console.log('web', op, Array.from((rw.y.data as Float32Array).slice(0,4)));
} catch (e) { console.log('web', op, 'FAILED', String(e).slice(0,300)); }
