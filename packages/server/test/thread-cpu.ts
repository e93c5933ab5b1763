import { closeSync, existsSync, openSync, readSync } from 'node:fs';

/**
 * CPU time of the thread that made it, in ms. Unlike wall time it does not grow while other
 * processes hold the cores, so a bound on it holds on a busy machine: it measures the server's own
 * work (its event loop runs on this thread).
 */
export interface ThreadCpuClock {
  now(): number;
  close(): void;
}

/**
 * The calling thread's CPU clock: `process.threadCpuUsage` (Node >= 23.9), else Linux's
 * `/proc/thread-self/schedstat` (kept open: about 6 us a reading; it advances at scheduler ticks, so a
 * reading may lag by a tick, 1-4 ms). Undefined where neither exists.
 */
export function threadCpuClock(): ThreadCpuClock | undefined {
  const usage = (process as { threadCpuUsage?: () => { user: number; system: number } }).threadCpuUsage;
  if (typeof usage === 'function') {
    return {
      now() {
        const { user, system } = usage.call(process);
        return (user + system) / 1000;
      },
      close() {},
    };
  }
  const path = '/proc/thread-self/schedstat';
  if (!existsSync(path)) return undefined;
  const fd = openSync(path, 'r');
  const buffer = Buffer.alloc(128);
  return {
    now() {
      const length = readSync(fd, buffer, 0, buffer.length, 0);
      const text = buffer.toString('latin1', 0, length);
      return Number(text.slice(0, text.indexOf(' '))) / 1e6; // first field: ns on the CPU
    },
    close: () => closeSync(fd),
  };
}

/**
 * Watches the event loop's turns from a 5 ms timer (it fires once a turn at most): how much CPU the
 * thread spent between two firings. A turn that spent over `limitMs` is work of this thread that held
 * every request behind it that long, whatever the machine's load.
 */
export function watchLoopTurns(clock: ThreadCpuClock, limitMs: number) {
  let last = clock.now();
  let longest = 0;
  let over = 0;
  const timer = setInterval(() => {
    const now = clock.now();
    const spent = now - last;
    last = now;
    longest = Math.max(longest, spent);
    if (spent > limitMs) over++;
  }, 5);
  return {
    stop(): { longestMs: number; over: number } {
      clearInterval(timer);
      return { longestMs: longest, over };
    },
  };
}
