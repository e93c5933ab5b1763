import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Connect, Plugin } from 'vite';

/** onnxruntime-web's own files: the `.mjs` glue and the `.wasm` binaries it loads at run time. */
export const ORT_DIST_DIR = fileURLToPath(new URL('./node_modules/onnxruntime-web/dist/', import.meta.url));

/** The URL path the page passes as `wasmPaths`: the files come from the app's own origin, never a CDN. */
export const ORT_URL_PATH = '/ort/';

const ORT_FILE = /^ort-wasm-simd-threaded(?:\.[a-z]+)?\.(?:mjs|wasm)$/;

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.mjs': 'text/javascript',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
};

/**
 * `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp` on every
 * response of the dev and preview servers: the page is then `crossOriginIsolated`, which is what lets
 * onnxruntime-web use SharedArrayBuffer and so more than one wasm thread.
 */
export function isolationHeaders(enabled = true): Plugin {
  const middleware: Connect.NextHandleFunction = (_req, res, next) => {
    if (enabled) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    next();
  };
  return {
    name: 'reranker:isolation-headers',
    configureServer: (server) => void server.middlewares.use(middleware),
    configurePreviewServer: (server) => void server.middlewares.use(middleware),
  };
}

/**
 * Serves onnxruntime-web's `.mjs`/`.wasm` files under `/ort/` from node_modules during `vite dev`, and
 * copies the ones the bundle names into `dist/ort/` at build (the 15-28 MB binaries are not inlined or
 * fetched from a CDN).
 */
export function ortWasmFiles(): Plugin {
  return {
    name: 'reranker:ort-wasm-files',
    configureServer(server) {
      server.middlewares.use(ORT_URL_PATH, (req, res, next) => {
        const name = (req.url ?? '').split('?')[0]!.replace(/^\//, '');
        if (!ORT_FILE.test(name)) return next();
        sendFile(res, join(ORT_DIST_DIR, name));
      });
    },
    // The runtime's fallback `new URL('ort-wasm-…wasm', import.meta.url)` would make Vite emit a second,
    // hashed copy of the binary into assets/; point it at /ort/ instead, where the one copy lives.
    transform: {
      order: 'pre',
      filter: { id: /onnxruntime-web[\\/]dist[\\/]/ },
      handler(code) {
        const rewritten = code.replace(
          /new URL\((["'])(ort-wasm-simd-threaded[.a-z]*\.wasm)\1,\s*import\.meta\.url\)/g,
          (_match, _quote, name: string) =>
            `new URL(${JSON.stringify(ORT_URL_PATH + name)}, self.location.href)`,
        );
        return rewritten === code ? null : { code: rewritten, map: null };
      },
    },
    generateBundle(_options, bundle) {
      // The bundled runtime names the glue file of its build variant (jsep, asyncify, plain); copy
      // that variant's pair only, not all four.
      const names = new Set<string>();
      for (const output of Object.values(bundle)) {
        if (output.type !== 'chunk') continue;
        for (const [, base] of output.code.matchAll(/(ort-wasm-simd-threaded(?:\.[a-z]+)?)\.(?:mjs|wasm)/g)) {
          names.add(`${base}.mjs`).add(`${base}.wasm`);
        }
      }
      for (const name of names) {
        const path = join(ORT_DIST_DIR, name);
        if (!existsSync(path)) continue;
        this.emitFile({ type: 'asset', fileName: `ort/${name}`, source: readFileSync(path) });
      }
    },
  };
}

/**
 * Serves model folders at `/models/<name>/...` from `dir` (for example `.models/tiny` written by
 * `pnpm models:synth --preset tiny --out .models/tiny`), on the dev and the preview server alike.
 */
export function modelFolders(dir: string): Plugin {
  const root = resolve(dir);
  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    let path: string;
    try {
      path = decodeURIComponent((req.url ?? '').split('?')[0]!);
    } catch {
      return next();
    }
    const file = resolve(root, `.${path}`);
    // Only files inside the models folder; `..` segments cannot climb out.
    if (!file.startsWith(root + sep)) return next();
    if (!existsSync(file) || !statSync(file).isFile()) {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end(`No such model file: ${path} (models are served from ${root})`);
      return;
    }
    sendFile(res, file);
  };
  return {
    name: 'reranker:model-folders',
    configureServer: (server) => void server.middlewares.use('/models', middleware),
    configurePreviewServer: (server) => void server.middlewares.use('/models', middleware),
  };
}

function sendFile(res: ServerResponse, path: string): void {
  if (!existsSync(path)) {
    res.statusCode = 404;
    res.end();
    return;
  }
  res.setHeader('Content-Type', CONTENT_TYPES[extname(path)] ?? 'application/octet-stream');
  res.setHeader('Content-Length', statSync(path).size);
  createReadStream(path).pipe(res);
}
