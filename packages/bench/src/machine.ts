import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, platform, release } from 'node:os';
import * as ort from 'onnxruntime-node';

/** The facts a benchmark figure means nothing without. */
export interface MachineInfo {
  /** `os.availableParallelism()`, the thread budget of every contender (what `nproc` prints). */
  cores: number;
  cpuModel: string;
  /** SIMD extensions onnxruntime's CPU kernels pick from, where /proc/cpuinfo tells. */
  simd: string[];
  node: string;
  onnxruntimeNode: string;
  os: string;
}

export function machineInfo(): MachineInfo {
  let cpuinfo = '';
  try {
    cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // Not Linux: os.cpus() still names the model.
  }
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const flags = /^flags\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.split(' ') ?? [];
  const simd = flags.filter((f) =>
    ['avx2', 'avx512f', 'avx512_vnni', 'avx_vnni', 'amx_int8', 'amx_bf16'].includes(f),
  );
  return {
    cores: availableParallelism(),
    cpuModel: model.trim(),
    simd,
    node: process.version,
    onnxruntimeNode: ort.env.versions.node ?? 'unknown',
    os: `${platform()} ${release()}`,
  };
}
