import cliProgress from 'cli-progress';

/** Where the run reports how far it is; all output goes to stderr so stdout holds only the table. */
export interface Progress {
  /** One request done during `phase` (e.g. `round 2/6 engine`). */
  tick(phase: string): void;
  /** A phase ended; `summary` is shown as a line when there is no bar. */
  phaseDone(phase: string, summary: string): void;
  stop(): void;
}

/** A cli-progress bar on a terminal, one line per finished phase otherwise (CI logs, pipes). */
export function createProgress(totalRequests: number, tty = process.stderr.isTTY === true): Progress {
  if (!tty) {
    return {
      tick() {},
      phaseDone: (phase, summary) => process.stderr.write(`${phase}: ${summary}\n`),
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{bar} {value}/{total} requests | {phase} | {last}',
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(totalRequests, 0, { phase: 'starting', last: '' });
  return {
    tick: (phase) => bar.increment(1, { phase }),
    phaseDone: (phase, summary) => bar.update({ phase, last: summary }),
    stop: () => bar.stop(),
  };
}
