import dns from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { AppError, isAppError } from '../errors/app-error.js';
import { refusalOf, type AddressPolicy } from './address-policy.js';

export interface SafeRequestOptions {
  readonly policy: AddressPolicy;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  readonly timeoutMs: number;
  readonly maxRedirects?: number;
  readonly signal?: AbortSignal;
}

export interface SafeResponse {
  readonly url: string;
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: http.IncomingMessage;
}

/** A vetted address for one host, resolved once, so the connection cannot be re-pointed (DNS rebinding). */
async function resolveVetted(
  url: URL,
  policy: AddressPolicy,
): Promise<{ address: string; family: number }> {
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(hostname);
  let addresses: { address: string; family: number }[];
  if (literal !== 0) {
    addresses = [{ address: hostname, family: literal }];
  } else {
    try {
      addresses = await dns.lookup(hostname, { all: true, verbatim: true });
    } catch (error) {
      throw new AppError(
        'remoteFetchFailed',
        { url: url.href, reason: `host ${hostname} not found` },
        { cause: error },
      );
    }
  }
  for (const candidate of addresses) {
    const kind = refusalOf(policy, hostname, candidate.address);
    if (kind)
      throw new AppError('remoteAddressRefused', {
        url: url.href,
        kind,
        address: candidate.address,
      });
  }
  const first = addresses[0];
  if (!first)
    throw new AppError('remoteFetchFailed', {
      url: url.href,
      reason: `host ${hostname} has no address`,
    });
  return first;
}

export function parseHttpUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError('remoteUrlInvalid', { url: raw });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new AppError('remoteUrlInvalid', { url: raw });
  if (url.username || url.password) throw new AppError('remoteUrlInvalid', { url: raw });
  return url;
}

/**
 * Checks now, without connecting, a URL the server will contact later (a task's or an app's
 * callback): http or https, no credentials, and an address the policy allows; a refusal names the
 * field. A host that does not resolve yet is let through: delivery checks again and records why.
 */
export async function checkUrlTarget(
  raw: string,
  policy: AddressPolicy,
  field: string,
): Promise<void> {
  try {
    await resolveVetted(parseHttpUrl(raw), policy);
  } catch (error) {
    if (!isAppError(error) || error.key === 'remoteFetchFailed') return;
    throw new AppError(error.key, error.params, {
      detail: [{ field, problem: error.message }],
      cause: error,
    });
  }
}

function requestOnce(
  url: URL,
  vetted: { address: string; family: number },
  options: SafeRequestOptions,
  signal: AbortSignal,
) {
  const lookup: LookupFunction = (_host, lookupOptions, callback) => {
    if (lookupOptions.all) callback(null, [{ address: vetted.address, family: vetted.family }]);
    else callback(null, vetted.address, vetted.family);
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = client.request(url, {
      method: options.method ?? 'GET',
      headers: { 'user-agent': 'anima/0.1', ...options.headers },
      lookup,
      signal,
    });
    req.on('response', resolve);
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * An HTTP request that refuses loopback, private and link-local targets (unless the operator's
 * policy allows them), connects to the address it checked, re-checks every redirect, and gives
 * up after a time limit. The caller reads (and must consume or destroy) the body.
 */
export async function safeRequest(
  rawUrl: string,
  options: SafeRequestOptions,
): Promise<SafeResponse> {
  const maxRedirects = options.maxRedirects ?? 5;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let url = parseHttpUrl(rawUrl);
  for (let hop = 0; ; hop++) {
    const vetted = await resolveVetted(url, options.policy);
    let response: http.IncomingMessage;
    try {
      response = await requestOnce(url, vetted, options, signal);
    } catch (error) {
      if (timeout.aborted) {
        throw new AppError(
          'remoteTimeout',
          { url: rawUrl, seconds: Math.round(options.timeoutMs / 1000) },
          { cause: error },
        );
      }
      if (options.signal?.aborted) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new AppError('remoteFetchFailed', { url: rawUrl, reason }, { cause: error });
    }
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (status >= 300 && status < 400 && location) {
      response.resume();
      if (hop >= maxRedirects)
        throw new AppError('remoteTooManyRedirects', { url: rawUrl, max: maxRedirects });
      url = parseHttpUrl(new URL(location, url).href);
      continue;
    }
    return { url: url.href, status, headers: response.headers, body: response };
  }
}
