import {
  createServer as createHttpServer,
  type IncomingMessage,
  maxHeaderSize,
  type RequestListener,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { Duplex } from 'node:stream';
import type { ServerConfig } from './config';
import { type Flavour, flavourOfPath, HttpError, toErrorResponse } from './errors';
import type { JsonScan } from './middleware/json-scan';
import { flavourOfKeys } from './routes/rerank';

/** How long a connection we answered with an error may linger for the client to read it. */
const LINGER_MS = 2000;

interface InFlight {
  req: IncomingMessage;
  res: ServerResponse;
}

/**
 * The HTTP server for an app (the app stays free of `listen`, for tests): REQUEST_TIMEOUT_MS bounds
 * receiving a whole request (a slow upload), HEADERS_TIMEOUT_MS its headers, both answered 408; and
 * what Node's HTTP parser refuses (bad request line, duplicate Content-Length, headers over 16 KiB,
 * malformed chunked body) is answered with a JSON error instead of Node's bare status line, in the
 * flavour of the request when its headers were read. Listen with `createServer(app, config).listen()`.
 */
export function createServer(
  app: RequestListener,
  config: Pick<ServerConfig, 'requestTimeoutMs' | 'headersTimeoutMs'>,
): Server {
  const server = createHttpServer(
    {
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: config.headersTimeoutMs,
      // Node looks for expired requests every 30 s by default: often enough here that the limits hold.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(config.headersTimeoutMs / 4))),
    },
    app,
  );
  const inFlight = new WeakMap<Duplex, InFlight>();
  const answered = new WeakSet<Duplex>();
  // The connection's latest request (kept after its answer: its body may still be arriving).
  server.on('request', (req: IncomingMessage, res: ServerResponse) => inFlight.set(req.socket, { req, res }));
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // One answer per connection: a parser that failed once fails again on the bytes that follow.
    if (answered.has(socket)) return;
    let current = inFlight.get(socket);
    if (current?.res.headersSent) {
      // A request answered whole means the error is the next one's; one answered early (its body still
      // coming, or a response still streaming) cannot get a second answer on this connection.
      if (current.req.complete && current.res.writableFinished) current = undefined;
      else return void socket.destroy();
    }
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    answered.add(socket);
    const linger = setTimeout(() => socket.destroy(), LINGER_MS).unref();
    socket.once('close', () => clearTimeout(linger));
    answer(describe(error, current !== undefined, config), socket, current, error);
  });
  return server;
}

/** The error a client sees for what the parser or the timeouts refused. */
function describe(
  error: NodeJS.ErrnoException,
  headersRead: boolean,
  config: Pick<ServerConfig, 'requestTimeoutMs' | 'headersTimeoutMs'>,
): HttpError {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return headersRead
        ? new HttpError(
            408,
            'REQUEST_TIMEOUT',
            `The request was not received within REQUEST_TIMEOUT_MS (${config.requestTimeoutMs} ms): send the body faster, or smaller.`,
          )
        : new HttpError(
            408,
            'REQUEST_TIMEOUT',
            `The request headers were not received within HEADERS_TIMEOUT_MS (${config.headersTimeoutMs} ms).`,
          );
    case 'HPE_HEADER_OVERFLOW':
      return new HttpError(
        431,
        'HEADERS_TOO_LARGE',
        `The request headers are larger than ${maxHeaderSize} bytes: send fewer or shorter headers.`,
      );
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new HttpError(413, 'PAYLOAD_TOO_LARGE', 'The chunk extensions of the body are too large.');
    default: {
      const reason = (error as { reason?: string }).reason ?? error.code ?? 'unreadable';
      return new HttpError(400, 'MALFORMED_REQUEST', `The request is not valid HTTP/1.1: ${reason}.`);
    }
  }
}

function answer(problem: HttpError, socket: Duplex, current: InFlight | undefined, error: Error): void {
  const flavour = current ? flavourOfRequest(current) : flavourOfPacket(error);
  const { status, headers, body, code } = toErrorResponse(problem, flavour);
  const payload = JSON.stringify(body);
  const head = {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(payload)),
    connection: 'close',
  };
  if (current) {
    // Through the request's response: its log line, metrics and headers (request id, CORS) follow.
    const locals = (current.res as ServerResponse & { locals?: Record<string, unknown> }).locals;
    if (locals) locals.errorCode = code;
    current.res.writeHead(status, head);
    current.res.end(payload);
    return;
  }
  const lines = Object.entries(head).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${lines.join('')}\r\n${payload}`);
}

/** The flavour the request's route decided, or what its body so far shows, or its path's. */
function flavourOfRequest({ req, res }: InFlight): Flavour {
  const locals = (res as ServerResponse & { locals?: { flavour?: Flavour; bodyScan?: JsonScan } }).locals;
  if (locals?.flavour) return locals.flavour;
  if (locals?.bodyScan) return flavourOfKeys(locals.bodyScan.topLevelKeys);
  return flavourOfPath(req.url ?? '/');
}

/** Before the headers were read, the request line in the bytes the parser refused may name the path. */
function flavourOfPacket(error: Error): Flavour {
  const packet = (error as { rawPacket?: Buffer }).rawPacket;
  const path = packet ? /^[A-Z]+ (\S+)/.exec(packet.toString('latin1', 0, 512))?.[1] : undefined;
  return flavourOfPath(path ?? '/');
}
