/** The logging surface the engine needs; pino, console and most loggers fit it. */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

/** Warnings and errors to the console, nothing else: a library should be quiet by default. */
export const consoleLogger: Logger = {
  debug() {},
  info() {},
  warn(obj, msg) {
    console.warn(...format(obj, msg));
  },
  error(obj, msg) {
    console.error(...format(obj, msg));
  },
};

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function format(obj: object | string, msg?: string): unknown[] {
  if (typeof obj === 'string') return [`[reranker] ${obj}`];
  return msg === undefined ? ['[reranker]', obj] : [`[reranker] ${msg}`, obj];
}
