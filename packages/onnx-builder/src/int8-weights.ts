import { readFileSync } from 'node:fs';
import { arch, platform } from 'node:os';

/** How int8 weights are stored: signed (zero point 0) or unsigned (zero point 128, the same values). */
export type Int8WeightType = 'int8' | 'uint8';

/**
 * The weight type that is exact on this CPU. onnxruntime multiplies uint8 activations by int8 weights
 * with VPMADDUBSW on x86 without VNNI, which saturates pairs of products at int16 (seen here: max |Δ|
 * 0.20 and Kendall tau 0.81 against the reference on an AVX2-only EPYC, where a VNNI machine gives
 * < 0.08 and > 0.85). With uint8 weights it takes its u8u8 kernels, which do not saturate; VNNI
 * (VPDPBUSD) and ARM do not saturate either, and keep the faster signed kernels. Unknown x86 CPUs
 * (no /proc/cpuinfo) get uint8: correct everywhere, at worst slower.
 */
export function preferredInt8Weights(): Int8WeightType {
  if (arch() !== 'x64' && arch() !== 'ia32') return 'int8';
  if (platform() !== 'linux') return 'uint8';
  try {
    const flags = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '';
    return /\b(avx512_vnni|avx_vnni)\b/.test(flags) ? 'int8' : 'uint8';
  } catch {
    return 'uint8';
  }
}
