import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** How the cores were used during a timed stretch. */
export interface CpuUse {
  /** This process's CPU time over wall time × cores (onnxruntime's threads spin, so ≈1 when alone). */
  cpuShare: number;
  /**
   * CPU time of every other process over wall time × cores, from /proc/stat (Linux; `undefined`
   * elsewhere). Above ~0.05 another process competed for the cores and the figure is noisy.
   */
  othersShare: number | undefined;
}

/** Linux reports /proc/stat in USER_HZ ticks, 100 per second on every mainstream architecture. */
const TICKS_PER_SECOND = 100;

function busyTicks(): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n', 1)[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    // user nice system idle iowait irq softirq steal: busy is everything but idle and iowait.
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return user + nice + system + irq + softirq + steal;
  } catch {
    return undefined;
  }
}

/**
 * Starts measuring; call the returned function at the end of the stretch, with the CPU seconds of
 * child processes that worked for this one meanwhile (counted as its own, not as others').
 */
export function measureCpu(): (childSeconds?: number) => CpuUse {
  const wallStart = performance.now();
  const ownStart = process.cpuUsage();
  const busyStart = busyTicks();
  return (childSeconds = 0) => {
    const capacity = ((performance.now() - wallStart) / 1000) * availableParallelism();
    const own = process.cpuUsage(ownStart);
    const ownSeconds = (own.user + own.system) / 1e6 + childSeconds;
    const busyEnd = busyTicks();
    const othersShare =
      busyStart === undefined || busyEnd === undefined
        ? undefined
        : Math.max(0, (busyEnd - busyStart) / TICKS_PER_SECOND - ownSeconds) / capacity;
    return { cpuShare: ownSeconds / capacity, othersShare };
  };
}
