import type { MachineInfo } from '../src/machine';
import type { TableResult } from '../src/table';
import type { TableRow } from '../src/table-measure';

/** A machine made up for rendering tests (any benchmark's result). */
export const FAKE_MACHINE: MachineInfo = {
  cores: 2,
  cpuModel: 'Test CPU',
  simd: ['avx2'],
  node: 'v20',
  onnxruntimeNode: '1.30.0',
  os: 'linux',
};

/** A measured row with figures made up for rendering tests. */
export const measured = (
  backend: TableRow['backend'],
  batchSize: number,
  docsPerSecond: number,
): TableRow => ({
  model: 'minilm-l6',
  backend,
  batchSize,
  status: 'measured',
  docsPerSecond,
  latencyMs: { p50: 1000 * (32 / docsPerSecond), p95: 1100 * (32 / docsPerSecond) },
  requests: 3,
  seconds: 4.5,
  device: backend,
});

/** A result as runTable returns it, without running anything. */
export function fakeResult(rows: TableRow[]): TableResult {
  return {
    benchmark: 'table',
    startedAt: '2026-11-28T18:00:00.000Z',
    commandLine: 'pnpm -s bench table',
    machine: { ...FAKE_MACHINE, onnxruntimeWeb: '1.30.0' },
    options: {
      presets: ['minilm-l6'],
      backends: ['cpu', 'cuda'],
      batchSizes: [8, 16],
      dtype: 'fp32',
      docs: 32,
      durationS: 6,
      seed: 1,
    },
    workload: { docsPerRequest: 32, pairTokensRange: [128, 256], description: 'requests of 32 documents' },
    models: [
      {
        name: 'minilm-l6',
        synthesized: true,
        location: '/tmp/x',
        pairTokens: { min: 130, mean: 190, max: 250 },
        kind: 'cross-encoder',
      },
    ],
    setups: { cpu: 'onnxruntime-node', cuda: 'CUDA EP' },
    rows,
    durationSeconds: 12,
  };
}
