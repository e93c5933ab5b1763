import { fileURLToPath } from 'node:url';
import { defaultClientConditions, type UserConfig } from 'vite';
import { isolationHeaders, modelFolders, ortWasmFiles } from './vite-plugins.ts';

const here = fileURLToPath(new URL('.', import.meta.url));

export interface AppConfigOptions {
  /** Send COOP/COEP so the page is cross-origin isolated (wasm threads). @default true */
  isolation?: boolean;
  /** Folder served at `/models/`. @default `RERANKER_MODELS_DIR`, else `.models` at the repo root */
  modelsDir?: string;
  /** Build output folder. @default `dist` */
  outDir?: string;
}

/** The demo's Vite config, shared by `vite.config.ts` and the tests (which start servers in-process). */
export function appConfig(options: AppConfigOptions = {}): UserConfig {
  const modelsDir =
    options.modelsDir ??
    process.env.RERANKER_MODELS_DIR ??
    fileURLToPath(new URL('../../.models', import.meta.url));
  return {
    root: here,
    // The workspace's TypeScript sources, so the demo runs without building @reranker/core first.
    resolve: { conditions: ['@reranker/source', ...defaultClientConditions] },
    // onnxruntime-web finds its workers and glue through import.meta.url: pre-bundling would move it.
    optimizeDeps: { exclude: ['onnxruntime-web'] },
    plugins: [isolationHeaders(options.isolation ?? true), ortWasmFiles(), modelFolders(modelsDir)],
    // onnxruntime-web alone is ~400 kB minified; the wasm binary is a separate file.
    build: {
      outDir: options.outDir ?? 'dist',
      emptyOutDir: true,
      target: 'es2022',
      chunkSizeWarningLimit: 1024,
    },
    server: { host: '127.0.0.1' },
    preview: { host: '127.0.0.1' },
  };
}
