// The assertions live in the shared conformance suite (parity with the reference within 1e-4, batch
// invariance, shapes, concurrency, abort, dispose), which every backend runs.
import { testBackend } from '@reranker/testkit/conformance';
import { onnxNodeBackend } from '../src/index';

testBackend('onnxruntime-node', { candidate: () => onnxNodeBackend() });
// Again on the graphs @reranker/node builds from safetensors: a row alone takes the flash branch.
testBackend('onnxruntime-node', { candidate: () => onnxNodeBackend(), operators: 'fused' });
