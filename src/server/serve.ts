import { pino } from 'pino';
import type { Config } from '../config/config.js';
import { openPlatform, type Platform, type PlatformOptions } from '../platform.js';
import { buildServer, type ServerOptions } from './app.js';
import type { Server } from './types.js';

export interface RunningServer<P extends Record<string, object>, S = unknown> {
  readonly app: Server;
  readonly platform: Platform<P, S>;
  readonly url: string;
  close(): Promise<void>;
}

/** Opens the platform, recovers interrupted tasks, listens, then starts work: `anima serve`. */
export async function startServer<P extends Record<string, object>, S>(
  config: Config,
  tasks: PlatformOptions<P, S>['tasks'],
  options: ServerOptions<P, S> = {},
): Promise<RunningServer<P, S>> {
  const logger = pino({ level: config.logLevel });
  const platform = await openPlatform(config, {
    tasks,
    lock: true,
    log: (level, message, fields) => logger[level](fields ?? {}, message),
  });
  let app: Server | undefined;
  try {
    // Recover before listening: the first answer already shows no task left "running" by a
    // crash. Work starts only once the port (and so the links' base URL) is known.
    await platform.recover();
    app = await buildServer(platform, { ...options, logger });
    const log = app.log;
    await app.listen({ port: config.port, host: config.host });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    platform.setListeningPort(port);
    await platform.start();
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    log.info(
      {
        url,
        dataDir: config.dataDir,
        role: config.role,
        database: config.databaseUrl === '' ? 'sqlite' : 'postgres',
        queue: config.redisUrl === '' ? 'in-process' : 'bullmq',
        files: config.s3Bucket === '' ? 'data directory' : `s3 bucket ${config.s3Bucket}`,
      },
      'anima is listening',
    );
    let closing: Promise<void> | undefined;
    const server = app;
    return {
      app: server,
      platform,
      url,
      close: () => {
        closing ??= (async () => {
          await server.close();
          await platform.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await app?.close();
    await platform.close();
    throw error;
  }
}
