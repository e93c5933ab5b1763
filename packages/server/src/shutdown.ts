import type { Server } from 'node:http';
import type { PinoLogger } from './logger';
import type { Service } from './service';

export interface ShutdownOptions {
  server: Server;
  service: Service;
  logger: PinoLogger;
  /** How long in-flight requests get, in ms (SHUTDOWN_TIMEOUT_SECONDS). */
  timeoutMs: number;
  /** @default process.exit */
  exit?: (code: number) => void;
}

/**
 * Graceful shutdown, in order: readiness and /health turn 503 (load balancers stop sending), the
 * listener closes (no new connections) and idle keep-alive connections are closed as they go idle,
 * in-flight requests finish within `timeoutMs` (then connections are cut), the reranker is disposed
 * (its worker threads closed), and the process exits 0.
 */
export async function shutdown(options: ShutdownOptions, signal: string): Promise<void> {
  const { server, service, logger, timeoutMs } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const deadline = Date.now() + timeoutMs;
  logger.info({ signal, timeout_ms: timeoutMs }, `${signal} received: draining`);
  service.beginShutdown();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const idle = setInterval(() => server.closeIdleConnections(), 100);
  server.closeIdleConnections();
  const timedOut = await Promise.race([
    closed.then(() => false),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(true), timeoutMs).unref()),
  ]);
  clearInterval(idle);
  if (timedOut) {
    logger.warn('shutdown timeout reached: closing the remaining connections');
    server.closeAllConnections();
  }
  {
    // Requests cut at the timeout may still hold a slot until their batch ends: give dispose a bound.
    const grace = Math.max(5000, deadline - Date.now());
    const disposed = await Promise.race([
      service.dispose().then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), grace).unref()),
    ]);
    if (!disposed) logger.warn('the reranker did not finish disposing in time; exiting anyway');
  }
  logger.info('shutdown complete');
  logger.flush?.();
  exit(0);
}

/** Runs `shutdown` on SIGTERM and SIGINT; a second signal exits at once with code 1. */
export function onShutdownSignals(options: ShutdownOptions): void {
  let started = false;
  const handler = (signal: NodeJS.Signals) => {
    if (started) {
      options.logger.warn(`${signal} received again: exiting now`);
      (options.exit ?? process.exit)(1);
      return;
    }
    started = true;
    shutdown(options, signal).catch((error) => {
      options.logger.error({ err: error }, 'shutdown failed');
      (options.exit ?? process.exit)(1);
    });
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
