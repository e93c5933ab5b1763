// The assertions live in the shared conformance suite (parity with the reference within 1e-4, batch
// invariance, shapes, concurrency, abort, dispose), which every backend runs. onnxruntime-web's wasm
// backend runs under Node too (single-threaded here), so this is the browser's wasm path.
import { testBackend } from '@reranker/testkit/conformance';
import { webBackends } from '../src/web/index';

testBackend('onnxruntime-web:wasm', { candidate: () => webBackends({ device: 'wasm', numThreads: 1 })[0]! });
// The graphs @reranker/node builds from safetensors (an If choosing flash attention) run on wasm too.
testBackend('onnxruntime-web:wasm', {
  candidate: () => webBackends({ device: 'wasm', numThreads: 1 })[0]!,
  operators: 'fused',
});
