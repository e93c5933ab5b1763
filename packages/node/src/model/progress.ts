import type { Logger } from '@reranker/core';
import cliProgress from 'cli-progress';

/**
 * How downloads and graph builds report progress: `bar` draws a terminal bar on stderr, `log` writes `logger.info`
 * lines, `none` is silent, `auto` picks `bar` when stderr is a terminal and `log` otherwise.
 */
export type ProgressMode = 'auto' | 'bar' | 'log' | 'none';

/** What is happening to a file: it arrives from the hub, or it is written from the checkpoint. */
export type FileTask = 'download' | 'build';

const WORDS: Record<FileTask, { doing: string; done: string }> = {
  download: { doing: 'downloading', done: 'downloaded' },
  build: { doing: 'building', done: 'built' },
};

/** Progress of one file's download or build. */
export interface FileProgress {
  /** Bytes written so far. */
  update(loaded: number): void;
  /** The file is complete. */
  finish(): void;
  /** The download stopped early; clears any bar. */
  abort(): void;
}

export interface ProgressReporter {
  /**
   * Starts reporting one file; `total` is its size in bytes when known (the server says, or the
   * builder computed it). `task` defaults to `download`.
   */
  file(name: string, total: number | undefined, task?: FileTask): FileProgress;
}

const LOG_EVERY_MS = 5_000;
const MB = 1024 * 1024;

export function createProgressReporter(mode: ProgressMode, logger: Logger): ProgressReporter {
  const resolved = mode === 'auto' ? (process.stderr.isTTY ? 'bar' : 'log') : mode;
  if (resolved === 'none') return { file: () => ({ update() {}, finish() {}, abort() {} }) };
  return resolved === 'bar' ? barReporter() : logReporter(logger);
}

function mb(bytes: number): string {
  return (bytes / MB).toFixed(1);
}

function speed(bytes: number, startedAt: number): string {
  const seconds = Math.max((Date.now() - startedAt) / 1000, 0.001);
  return mb(bytes / seconds);
}

/** A line at every 10% and at least every 5 s, so a slow 1 GB download never looks hung in logs. */
function logReporter(logger: Logger): ProgressReporter {
  return {
    file(file, total, task = 'download') {
      const words = WORDS[task];
      const startedAt = Date.now();
      let lastLogAt = startedAt;
      let lastTenth = 0;
      let loaded = 0;
      return {
        update(bytes) {
          loaded = bytes;
          const tenth = total ? Math.floor((loaded / total) * 10) : 0;
          const now = Date.now();
          // 100% is left to finish(), which says how long the whole file took.
          if ((tenth > lastTenth && tenth < 10) || now - lastLogAt >= LOG_EVERY_MS) {
            lastTenth = Math.max(lastTenth, tenth);
            lastLogAt = now;
            const share = total
              ? `${Math.floor((loaded / total) * 100)}% (${mb(loaded)}/${mb(total)} MB`
              : `(${mb(loaded)} MB`;
            logger.info(
              { file, loaded, total, mbPerSecond: Number(speed(loaded, startedAt)) },
              `${words.doing} ${file}: ${share}, ${speed(loaded, startedAt)} MB/s)`,
            );
          }
        },
        finish() {
          const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
          logger.info(
            { file, loaded, total: total ?? loaded },
            `${words.done} ${file}: ${mb(loaded)} MB in ${seconds} s (${speed(loaded, startedAt)} MB/s)`,
          );
        },
        abort() {},
      };
    },
  };
}

function barReporter(): ProgressReporter {
  return {
    file(name, total, task = 'download') {
      const file = task === 'build' ? `${WORDS.build.doing} ${name}` : name;
      const startedAt = Date.now();
      const bar = new cliProgress.SingleBar(
        {
          format: '{file} [{bar}] {percentage}% | {done}/{size} MB | {speed} MB/s | ETA {eta_formatted}',
          stream: process.stderr,
          hideCursor: true,
          noTTYOutput: true,
        },
        cliProgress.Presets.shades_classic,
      );
      const payload = (loaded: number) => ({
        file,
        done: mb(loaded),
        size: total ? mb(total) : '?',
        speed: speed(loaded, startedAt),
      });
      bar.start(total ?? 1, 0, payload(0));
      let stopped = false;
      const stop = () => {
        if (!stopped) bar.stop();
        stopped = true;
      };
      return {
        update(loaded) {
          // Without a size from the server the bar just tracks the bytes seen.
          if (!total) bar.setTotal(Math.max(loaded, 1));
          bar.update(loaded, payload(loaded));
        },
        finish: stop,
        abort: stop,
      };
    },
  };
}
