import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Largest request body still read (and thrown away) after an answer that did not need it, so that a
 * keep-alive connection can carry the next request. Under a flood of refusals, reading a few hundred
 * KiB cost the main thread about what a new connection costs, and reading 1 MB bodies a third more
 * (reads, buffers, garbage collection); Go's server draws the line at 256 KiB too.
 */
export const DRAIN_LIMIT_BYTES = 256 * 1024;

/**
 * How long a connection whose body was left unread stays open, half-closed and unread, after its
 * answer. Closing a socket with unread input sends a reset, which some clients' TCP stacks act on
 * before handing over the answer they already received; Go's server waits 500 ms for the same reason.
 */
export const UNREAD_LINGER_MS = 500;

/**
 * Decides, before an answer that did not read the whole request body (a refusal, an error while
 * reading), what becomes of the rest: a body already received, or one whose declared size is within
 * DRAIN_LIMIT_BYTES, is read and discarded as Node does by default, and the connection stays.
 * Otherwise the answer says `Connection: close`, the socket is not read any more, and it closes
 * UNREAD_LINGER_MS after the answer is sent: the rest of the body never costs the main thread.
 */
export function leaveUnreadBody(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete) return;
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) <= DRAIN_LIMIT_BYTES) {
    req.resume();
    return;
  }
  if (res.headersSent) {
    req.resume(); // too late to say Connection: close: read it as Node would
    return;
  }
  res.setHeader('connection', 'close');
  stopReading(req.socket as Socket & NodeSocketInternals);
}

/** What Node's HTTP server reads on a socket it serves (stable since Node 0.10; checked by the tests). */
interface NodeSocketInternals {
  /**
   * The server's own "do not read this socket" flag (it pauses pipelined connections with it): while
   * set, the server does not resume reading, even when it discards a body after the response.
   */
  _paused?: boolean;
}

function stopReading(socket: Socket & NodeSocketInternals): void {
  socket._paused = true;
  socket.pause();
  // After a `Connection: close` answer the server calls `destroySoon`: end (FIN), then destroy at
  // once. Destroy later instead, so the client reads the answer before the reset.
  socket.destroySoon = function lingerThenDestroy(this: Socket) {
    if (this.writable) this.end();
    const timer = setTimeout(() => this.destroy(), UNREAD_LINGER_MS);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
  };
}
