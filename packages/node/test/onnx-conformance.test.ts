import { testBackend } from '@reranker/testkit/conformance';
import { onnxNodeBackend } from '../src/index';

testBackend('onnxruntime-node', { candidate: () => onnxNodeBackend() });
