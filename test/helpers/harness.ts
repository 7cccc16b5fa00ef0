import type { FastifyBaseLogger } from 'fastify';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { computeSign } from '../../src/auth/sign.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { openPlatform, type Platform, type PlatformOptions } from '../../src/platform.js';
import { buildServer, type ServerOptions } from '../../src/server/app.js';
import {
  productAreas,
  productServer,
  wireProduct,
  type ProductPayloads,
  type ProductServices,
} from '../../src/server/product.js';
import type { Server } from '../../src/server/types.js';
import {
  registerTestCreateRoute,
  testArea,
  testHandlers,
  type TestPayloads,
} from './test-tasks.js';

export function tempDir(prefix = 'anima-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface TestServer<P extends Record<string, object> = TestPayloads, S = unknown> {
  readonly app: Server;
  readonly platform: Platform<P, S>;
  readonly config: Config;
  /** A fresh app and a token for it. */
  newApp(name?: string): Promise<{ appId: string; appKey: string; token: string }>;
  /** Listens on a loopback port (for real sockets) and returns the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** A real platform (SQLite file, real queue) in a temporary data directory, served through Fastify. */
export function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  return startServerWith(
    testHandlers,
    { areas: [...productAreas, testArea], routes: [registerTestCreateRoute] },
    env,
  );
}

/**
 * The same with the product's own task handlers and routes (avatar builds, ...); with a logger
 * (see memoryLog) where a test checks what the server logs.
 */
export function startProductServer(
  env: Record<string, string> = {},
  logger?: FastifyBaseLogger,
): Promise<TestServer<ProductPayloads, ProductServices>> {
  return startServerWith(wireProduct, { ...productServer, ...(logger ? { logger } : {}) }, env);
}

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** A real pino logger whose lines land, parsed, in `lines`: what a test reads of the log. */
export function memoryLog(lines: LogLine[], level = 'info'): FastifyBaseLogger {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as LogLine);
      }
      done();
    },
  });
  return pino({ level }, sink);
}

/** A plain HTTP server on a loopback port, standing in for a remote host; resolves with its URL. */
export async function startOrigin(
  handler: http.RequestListener,
): Promise<{ readonly url: string; readonly server: http.Server }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, server };
}

async function startServerWith<P extends Record<string, object>, S>(
  tasks: PlatformOptions<P, S>['tasks'],
  serverOptions: ServerOptions<P, S>,
  env: Record<string, string>,
): Promise<TestServer<P, S>> {
  const dataDir = tempDir();
  const config = loadConfig({
    env: { ANIMA_DATA: dataDir, ANIMA_PORT: '0', ANIMA_LOG_LEVEL: 'silent', ...env },
  });
  const platform = await openPlatform(config, { tasks, lock: true }).catch((error: unknown) => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });
  const app = await buildServer(platform, serverOptions);
  try {
    await app.ready();
    await platform.start();
  } catch (error) {
    await app.close();
    await platform.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    app,
    platform,
    config,
    async newApp(name = 'test') {
      const created = await platform.auth.createApp({ name });
      const timestamp = String(Date.now());
      const response = await app.inject({
        method: 'POST',
        url: '/api/uc/v1/access/api/token',
        payload: {
          appId: created.appId,
          timestamp,
          sign: computeSign(created.appId, timestamp, created.appKey),
          grantType: 'sign',
        },
      });
      const token = response.json<{ data: { accessToken: string } }>().data.accessToken;
      return { appId: created.appId, appKey: created.appKey, token };
    },
    async listen() {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      platform.setListeningPort(port);
      return `http://127.0.0.1:${port}`;
    },
    async close() {
      await app.close();
      await platform.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Polls until `check` holds (waitFor takes any defined value, false included). */
export function waitUntil(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<true> {
  return waitFor(async () => ((await check()) ? true : undefined), timeoutMs, what);
}

/** The error code (ours, in the envelope) a client call is refused with; undefined if it passed. */
export async function refusedWith(call: Promise<unknown>): Promise<number | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    return (error as { code?: number }).code;
  }
}
