export { type CreateAppOptions, createApp, type RerankerApp } from './app';
export { flagFor, parseCommandLine } from './cli';
export {
  LOG_LEVELS,
  type LogLevel,
  loadServerConfig,
  SERVER_VARIABLES,
  type ServerConfig,
  type ServerVariable,
  serverConfig,
} from './config';
export {
  type ErrorCode,
  type ErrorResponse,
  type Flavour,
  HttpError,
  type HttpErrorCode,
  toErrorResponse,
} from './errors';
export { createServer } from './http-server';
export { createLogger, engineLogger } from './logger';
export { type RequestCost, ServerMetrics } from './metrics/prometheus';
export { type Phase, Service } from './service';
export { VERSION } from './version';
