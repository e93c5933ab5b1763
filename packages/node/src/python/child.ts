import type { ChildProcess } from 'node:child_process';

// Small helpers for the worker's child process.

/** SIGKILL, unless the process has already ended. */
export function kill(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

type Refable = { ref?(): void; unref?(): void };

/** Whether the worker (process and pipes) keeps the Node event loop alive. */
export function hold(child: ChildProcess, on: boolean): void {
  for (const handle of [child, child.stdin, child.stdout, child.stderr] as Refable[]) {
    if (on) handle?.ref?.();
    else handle?.unref?.();
  }
}

/** Whether the process exits within `ms`. */
export function exitsWithin(exited: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    exited.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** A stdout line for an error message, cut to 200 characters. */
export function quote(line: string): string {
  return JSON.stringify(line.length > 200 ? `${line.slice(0, 200)}…` : line);
}
