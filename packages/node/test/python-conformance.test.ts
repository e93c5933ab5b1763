// The assertions live in the shared conformance suite (parity with the reference within 1e-4, batch
// invariance, shapes, concurrency, abort, dispose), which every backend runs.
import { testBackend } from '@reranker/testkit/conformance';
import { pythonBackend } from '../src/index';

// CI installs Debian's python3-numpy for /usr/bin/python3 (the python3 on PATH may lack numpy).
testBackend('python:numpy', {
  candidate: () => pythonBackend({ engine: 'numpy', python: '/usr/bin/python3' }),
});
