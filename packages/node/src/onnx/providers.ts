import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
// One definition shared with the configuration; `mps` means CoreML (onnxruntime reaches Apple GPUs through it).
import type { DevicePreference } from '../config/types';

/** The execution providers a device preference maps to on this host. */
export interface ProviderPlan {
  /** The device those providers target. */
  device: 'cpu' | 'cuda' | 'coreml';
  executionProviders: string[];
  /** Why the preference cannot be met on this platform at all: then nothing but CPU is tried. */
  unavailable?: string;
}

/** The facts about the host the mapping depends on (injectable for tests). */
export interface HostFacts {
  platform: string;
  arch: string;
  /** Whether onnxruntime-node can load its CUDA execution provider here. */
  cudaInstalled(): boolean;
}

const CPU: ProviderPlan = { device: 'cpu', executionProviders: ['cpu'] };

export function planProviders(preference: DevicePreference, host: HostFacts = currentHost()): ProviderPlan {
  switch (preference) {
    case 'cpu':
      return CPU;
    case 'cuda':
      if (host.platform === 'linux') return { device: 'cuda', executionProviders: ['cuda'] };
      return {
        ...CPU,
        unavailable: `onnxruntime-node has the CUDA execution provider on Linux only, not on ${host.platform}`,
      };
    case 'mps':
    case 'coreml':
      if (host.platform === 'darwin') return { device: 'coreml', executionProviders: ['coreml'] };
      return {
        ...CPU,
        unavailable: `the CoreML execution provider exists on macOS only, not on ${host.platform}`,
      };
    case 'auto':
      // CoreML is never chosen automatically: it supports only part of these graphs and is often slower.
      if (host.platform === 'linux' && host.arch === 'x64' && host.cudaInstalled()) {
        return { device: 'cuda', executionProviders: ['cuda'] };
      }
      return CPU;
  }
}

/** The device an execution provider list actually runs on. */
export function deviceOf(executionProviders: readonly string[]): string {
  return executionProviders[0] ?? 'cpu';
}

function currentHost(): HostFacts {
  return { platform: process.platform, arch: process.arch, cudaInstalled };
}

/**
 * onnxruntime-node lists `cuda` on every Linux x64 host, as `bundled: false` when its provider
 * library is not installed (it is an optional download at install time). Only an installed library
 * makes `auto` try CUDA: otherwise every CPU-only server would log a failed CUDA attempt.
 */
function cudaInstalled(): boolean {
  try {
    const require = createRequire(import.meta.url);
    const ort = require('onnxruntime-node') as {
      listSupportedBackends(): { name: string; bundled: boolean }[];
    };
    const cuda = ort.listSupportedBackends().find((backend) => backend.name === 'cuda');
    if (!cuda) return false;
    if (cuda.bundled) return true;
    const bin = join(dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', 'linux', 'x64');
    return existsSync(join(bin, 'libonnxruntime_providers_cuda.so'));
  } catch {
    return false;
  }
}
