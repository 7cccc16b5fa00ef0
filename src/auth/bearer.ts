import type { IncomingHttpHeaders } from 'node:http';

/**
 * The token of an `Authorization: Bearer <token>` value, or undefined. A trailing `&` is not part
 * of it: the FAQ's own header example carries one, copied from a URL (tokens are base64url).
 */
export function parseBearer(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const match = /^\s*Bearer\s+([^\s&]+)&*\s*$/i.exec(value);
  return match?.[1];
}

/**
 * The token of a WebSocket handshake: the `Authorization` header, or else the URL query
 * `?Authorization=Bearer%20<token>` (the FAQ's form, which may end in a stray `&`). The header
 * wins when both are present.
 */
export function tokenFromHandshake(headers: IncomingHttpHeaders, url: string): string | undefined {
  const fromHeader = parseBearer(headers.authorization);
  if (fromHeader) return fromHeader;
  const query = new URL(url, 'http://localhost').searchParams;
  return parseBearer(query.get('Authorization') ?? query.get('authorization') ?? undefined);
}
