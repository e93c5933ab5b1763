// /openapi.json as served passes Redocly's linter with the recommended rules (offline: telemetry and
// update checks off), and declares what client generators and gateways need.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Doc, operations, servedDocument } from './openapi/spec';

const REDOCLY = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '.bin', 'redocly');

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: { ruleId: string; severity: string; message: string }[];
}

describe('OpenAPI lint (@redocly/cli, recommended rules)', () => {
  let dir: string;
  let doc: Doc;

  /** Lints `document` written to a temp file; Redocly exits 1 on errors, the JSON report tells all. */
  async function lint(document: Doc, name: string): Promise<LintReport> {
    const file = join(dir, name);
    await writeFile(file, JSON.stringify(document, null, 2));
    const env = {
      ...process.env,
      REDOCLY_TELEMETRY: 'off',
      REDOCLY_SUPPRESS_NOTIFICATIONS: 'true',
      REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
      NO_COLOR: '1',
    };
    const run = promisify(execFile)(REDOCLY, ['lint', file, '--extends=recommended', '--format=json'], {
      cwd: dir,
      env,
      timeout: 60_000,
    });
    const { stdout } = await run.catch((error: { stdout?: string; code?: number }) => {
      if (error.code === 1 && error.stdout) return { stdout: error.stdout };
      throw error;
    });
    return JSON.parse(stdout);
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openapi-lint-'));
    doc = await servedDocument();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('the served document has no errors and no warnings', async () => {
    const report = await lint(doc, 'openapi.json');
    expect(report.problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('the linter does find problems (a copy without servers and an operationId)', async () => {
    const broken = structuredClone(doc);
    delete broken.servers;
    delete broken.paths['/rerank'].post.operationId;
    const report = await lint(broken, 'broken.json');
    expect(report.totals.errors).toBeGreaterThan(0);
    expect(report.problems.map((p) => p.ruleId)).toEqual(
      expect.arrayContaining(['no-empty-servers', 'operation-operationId']),
    );
  });

  it('declares servers, a unique operationId per operation and the bearer scheme at the root', () => {
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
    const ids = operations(doc).map(([, , op]) => op.operationId);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(13);
    // middleware/auth.ts: `Authorization: Bearer <key>`, required only when API_KEYS is set.
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ bearerAuth: [] }, {}]);
  });
});
