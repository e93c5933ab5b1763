import { describe, expect, it } from 'vitest';
import { type TableResult, unavailableRows } from '../src/table';
import { rowNote, tableMarkdown, tableRowsMarkdown } from '../src/table-report';
import { fakeResult, measured } from './fake-table';

describe('unavailableRows', () => {
  it('gives every batch size a row with the reason and no figures', () => {
    const rows = unavailableRows('bge-base', 'coreml', [8, 16, 32], 'CoreML exists on macOS only');
    expect(rows.map((r) => r.batchSize)).toEqual([8, 16, 32]);
    for (const row of rows) {
      expect(row).toMatchObject({ model: 'bge-base', backend: 'coreml', status: 'unavailable' });
      expect(row.reason).toBe('CoreML exists on macOS only');
      expect(row.docsPerSecond).toBeUndefined();
      expect(row.latencyMs).toBeUndefined();
    }
  });

  it('marks rows that failed while measured as failed', () => {
    const [row] = unavailableRows('tiny', 'wasm', [8], 'out of memory', 'failed');
    expect(row!.status).toBe('failed');
    expect(rowNote(row!)).toBe('failed: out of memory');
  });
});

describe('tableMarkdown', () => {
  const rows = [
    measured('cpu', 8, 40),
    measured('cpu', 16, 50),
    ...unavailableRows('minilm-l6', 'cuda', [8, 16], 'no | GPU\nhere'),
  ];
  const markdown = tableMarkdown(fakeResult(rows));

  it("has the original table's columns and one line per row", () => {
    const lines = tableRowsMarkdown(rows);
    expect(lines[0]).toBe('| Backend | Batch Size | Documents/sec | Latency p50 | Latency p95 | Note |');
    expect(lines).toHaveLength(2 + rows.length);
    expect(lines[2]).toBe('| cpu | 8 | 40.0 | 800 ms | 880 ms | 3 requests in 4.5 s |');
    expect(markdown).toContain(lines[3]!);
  });

  it('shows unavailable rows with dashes and the reason, escaped for a table cell', () => {
    expect(markdown).toContain('| cuda | 8 | — | — | — | unavailable: no \\| GPU here |');
    expect(markdown).toContain('| cuda | 16 | — | — | — | unavailable: no \\| GPU here |');
  });

  it('says the model is synthesized with random weights, and describes machine and workload', () => {
    expect(markdown).toContain('### minilm-l6 (synthesized model, random weights');
    expect(markdown).toMatch(/RANDOM weights/);
    expect(markdown).toContain('Machine: 2 cores, Test CPU');
    expect(markdown).toContain('Workload: requests of 32 documents');
    expect(markdown).toContain('Pairs of 130–250 tokens (mean 190), dtype fp32.');
  });

  it('says where a measured row really ran when the device differs from the backend', () => {
    expect(rowNote({ ...measured('cuda', 8, 10), device: 'cpu' })).toContain('ran on cpu');
    expect(rowNote({ ...measured('cpu', 8, 10), othersShare: 0.4 })).toBe(
      "3 requests in 4.5 s, others' cpu 0.40 (noisy)",
    );
    expect(rowNote({ ...measured('cpu', 8, 10), othersShare: 0.01 })).toBe('3 requests in 4.5 s');
    expect(rowNote({ ...measured('cpu', 8, 10), requests: 1 })).toBe(
      '1 request (p50 = p95 = its latency) in 4.5 s',
    );
  });

  it('survives JSON: reasons and figures are plain data', () => {
    const parsed = JSON.parse(JSON.stringify(fakeResult(rows))) as TableResult;
    expect(parsed.rows.filter((r) => r.status === 'unavailable').map((r) => r.reason)).toEqual([
      'no | GPU\nhere',
      'no | GPU\nhere',
    ]);
    expect(parsed.rows[0]!.docsPerSecond).toBe(40);
  });
});
