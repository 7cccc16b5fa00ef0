import type { IncomingMessage } from 'node:http';

/** How long, and how much, of a refused body is read and dropped before the connection closes. */
const lingerMs = 5_000;
const lingerBytes = 16 * 1024 * 1024;

/**
 * A request answered before its body was read (an upload refused from its first bytes, or for
 * want of disk space) still has the body in flight. Closing the socket at once would leave unread
 * bytes in it, and the kernel then resets the connection, which can destroy the answer before the
 * client reads it (fetch reports only "fetch failed"). So the rest is read and dropped, as web
 * servers' lingering close does, and the connection is cut only when the client sends on past a
 * bound of time or bytes.
 */
export function lingerOnUnreadBody(request: IncomingMessage): void {
  if (request.readableEnded || request.destroyed) return;
  request.unpipe();
  let dropped = 0;
  const cut = () => request.destroy();
  const timer = setTimeout(cut, lingerMs);
  timer.unref();
  request.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > lingerBytes) cut();
  });
  request.once('close', () => clearTimeout(timer));
  request.resume();
}
