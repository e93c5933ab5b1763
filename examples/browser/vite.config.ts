import { defineConfig } from 'vite';
import { appConfig } from './app-config.ts';

// RERANKER_ISOLATION=off serves the page without COOP/COEP (single-threaded wasm), to compare.
export default defineConfig(appConfig({ isolation: process.env.RERANKER_ISOLATION !== 'off' }));
