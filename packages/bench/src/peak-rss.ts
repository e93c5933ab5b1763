import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Peak resident memory of this process (its worker threads included, where onnxruntime-node runs)
 * over a stretch of a run. On Linux the high-water mark is reset at the start (writing 5 to
 * /proc/self/clear_refs) and read from /proc/self/status (VmHWM) at the end, so each stretch gets its
 * own peak. Elsewhere it falls back to process.resourceUsage().maxRSS: the peak since the process
 * started, which the report marks as such.
 */
export interface PeakRss {
  /** Bytes. */
  bytes: number;
  /** `stretch`: the peak of this stretch alone; `process`: since the process started (not reset). */
  scope: 'stretch' | 'process';
}

function highWaterMark(): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** Starts a stretch; call the returned function at its end for the peak. */
export function startPeakRss(): () => PeakRss {
  let reset = false;
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    reset = highWaterMark() !== undefined;
  } catch {
    reset = false;
  }
  return () => {
    const hwm = reset ? highWaterMark() : undefined;
    if (hwm !== undefined) return { bytes: hwm, scope: 'stretch' };
    return { bytes: process.resourceUsage().maxRSS * 1024, scope: 'process' };
  };
}
