import { describe, expect, it } from 'vitest';
import { testBackend } from '../src/conformance/backend-suite';
import { referenceBackend } from '../src/index';

testBackend('reference', { candidate: () => referenceBackend() });

describe('referenceBackend', () => {
  it('needs a folder on disk', async () => {
    const model = {
      id: 'org/model',
      source: 'remote:org/model',
      revision: 'main',
      read: async () => new Uint8Array(),
    };
    const options = { model, config: { model_type: 'bert' }, dtype: 'fp32' as const, logger: console };
    await expect(referenceBackend().load(options)).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED' });
  });
});
