import cliProgress from 'cli-progress';

/** Where the run reports how far it is; all output goes to stderr so stdout holds only the table. */
export interface Progress {
  /** One unit (a request, or a row of `table`) done during `phase` (e.g. `round 2/6 engine`). */
  tick(phase: string): void;
  /** What is running now, without counting a unit (shown on the bar only). */
  note(phase: string): void;
  /** A phase ended; `summary` is shown as a line when there is no bar. */
  phaseDone(phase: string, summary: string): void;
  stop(): void;
}

/** A cli-progress bar on a terminal, one line per finished phase otherwise (CI logs, pipes). */
export function createProgress(
  total: number,
  tty = process.stderr.isTTY === true,
  unit = 'requests',
): Progress {
  if (!tty) {
    return {
      tick() {},
      note() {},
      phaseDone: (phase, summary) => process.stderr.write(`${phase}: ${summary}\n`),
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `{bar} {value}/{total} ${unit} | {phase} | {last}`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { phase: 'starting', last: '' });
  return {
    tick: (phase) => bar.increment(1, { phase }),
    note: (phase) => bar.update({ phase }),
    phaseDone: (phase, summary) => bar.update({ phase, last: summary }),
    stop: () => bar.stop(),
  };
}
