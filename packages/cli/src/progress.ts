import cliProgress from 'cli-progress';

/** Progress of a ranking run: documents scored out of all. */
export interface RankProgress {
  update(done: number): void;
  stop(): void;
}

const NONE: RankProgress = { update() {}, stop() {} };

/**
 * A bar on stderr while documents are scored, drawn only when stderr is a terminal and the input is
 * long enough to be worth one (`minDocuments`), so pipes, logs and tests never see control codes.
 * Same library and style as @reranker/node's download bar (whose reporter counts bytes, not documents).
 */
export function rankProgress(
  total: number,
  options: { enabled: boolean; minDocuments: number; stream?: NodeJS.WriteStream },
): RankProgress {
  const stream = options.stream ?? process.stderr;
  if (!options.enabled || !stream.isTTY || total < options.minDocuments) return NONE;
  const bar = new cliProgress.SingleBar(
    {
      format: 'ranking [{bar}] {percentage}% | {value}/{total} documents | ETA {eta_formatted}',
      stream,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  let stopped = false;
  return {
    update: (done) => bar.update(done),
    stop() {
      if (!stopped) bar.stop();
      stopped = true;
    },
  };
}
