import type { Logger } from '@reranker/core';
import { type Logger as PinoLogger, pino } from 'pino';
import type { LogLevel } from './config';

export type { PinoLogger };

/** JSON lines on stdout (pino), the format log shippers expect from a service. */
export function createLogger(level: LogLevel = 'info'): PinoLogger {
  return pino({ level, base: { service: 'reranker-server' } });
}

/** The engine's `Logger` on top of pino (the engine calls `warn(obj, msg)` or `warn(msg)`). */
export function engineLogger(logger: PinoLogger): Logger {
  const forward =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (obj: object | string, msg?: string): void => {
      if (typeof obj === 'string') logger[level](obj);
      else logger[level](obj, msg);
    };
  return { debug: forward('debug'), info: forward('info'), warn: forward('warn'), error: forward('error') };
}
