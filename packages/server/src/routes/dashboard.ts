import { readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RequestHandler, type Response, Router } from 'express';
import { modelBlocks } from '../metrics/model-blocks';
import type { ServerMetrics } from '../metrics/prometheus';
import type { Service } from '../service';

export interface DashboardDeps {
  service: Service;
  metrics: ServerMetrics;
  /** Auth of the operations routes: the page's data needs a key when METRICS_REQUIRE_AUTH is set. */
  auth: RequestHandler;
  /** Whether the server is in distributed mode (the page then also polls /cluster and /metrics/cluster). */
  distributed: boolean;
}

/**
 * The page allows only its own files and its own origin: no inline script or style, no other origin,
 * no frames, no forms posted anywhere (the playground calls fetch).
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * `GET /dashboard`: the live dashboard and playground (files of `assets/dashboard`, read once), and
 * `GET /dashboard/stats`, the counters it polls. The files hold no data, so they are served without a
 * key (the page must load to ask for one); the data behind them (/dashboard/stats, /info, /metrics…)
 * asks for the key when METRICS_REQUIRE_AUTH is set.
 */
export function dashboardRoutes(deps: DashboardDeps): Router {
  const router = Router();
  const assets = loadAssets();
  const label: RequestHandler = (_req, res, next) => {
    res.locals.route = '/dashboard';
    next();
  };
  router.get(['/dashboard', '/dashboard/'], label, (_req, res) =>
    send(res, assets.get('index.html')!, 'index.html'),
  );
  router.get('/dashboard/stats', label, deps.auth, (_req, res) => {
    const models = deps.service.models;
    // With several models: the server-wide slots and the metrics over all models.
    const engine = models.multi
      ? { controller: models.global!.stats(), metrics: models.stats.snapshot() }
      : deps.service.loaded().stats();
    res.set('cache-control', 'no-store').json({
      at: Date.now(),
      phase: deps.service.phase,
      distributed: deps.distributed,
      engine,
      // Each model's block of /metrics, for the page's per-model view.
      models: modelBlocks(models),
      http: deps.metrics.live(),
    });
  });
  router.get('/dashboard/:file', label, (req, res, next) => {
    const file = String(req.params.file);
    const body = assets.get(file);
    if (!body || file === 'index.html') return next();
    send(res, body, file);
  });
  return router;
}

function send(res: Response, body: Buffer, file: string): void {
  res.set({
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-security-policy': DASHBOARD_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  });
  res.send(body);
}

/** The page's files by name, from the package's `assets/dashboard` (found from here, in src or dist). */
export function loadAssets(): Map<string, Buffer> {
  const dir = assetsDir();
  const files = new Map<string, Buffer>();
  for (const name of readdirSync(dir)) {
    if (TYPES[extname(name)]) files.set(name, readFileSync(join(dir, name)));
  }
  return files;
}

function assetsDir(): string {
  // src/routes/dashboard.ts runs from source, dist/*.js once built: the package root is above both.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    try {
      const found = join(dir, 'assets', 'dashboard');
      readdirSync(found);
      return found;
    } catch {
      dir = dirname(dir);
    }
  }
  throw new Error('The dashboard files (assets/dashboard) are missing from @reranker/server.');
}
