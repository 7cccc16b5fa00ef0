import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AuthService } from './auth/auth.service.js';
import { TokenSealer } from './auth/token-seal.js';
import { ConfigError, resolvePublicUrl, type Config } from './config/config.js';
import { LocalBlobStore, type BlobStore } from './files/blob-store.js';
import { FileRepository } from './files/file.repository.js';
import { FileService } from './files/file.service.js';
import { S3BlobStore } from './files/s3-blob-store.js';
import type { AddressPolicy } from './net/address-policy.js';
import { checkUrlTarget } from './net/safe-request.js';
import { openDatabase } from './storage/database.js';
import { openPostgres, type PgPool } from './storage/postgres.js';
import { PostgresSql, SqliteSql, type SqlDb } from './storage/sql.js';
import { CallbackService } from './tasks/callback.service.js';
import { PgTaskStore } from './tasks/pg-task.store.js';
import { SqliteTaskStore } from './tasks/sqlite-task.store.js';
import type { TaskHandlers, TaskSubmitter } from './tasks/task.contract.js';
import { BullTaskQueue } from './tasks/bull-queue.js';
import { TaskQueue, type TaskQueueLike } from './tasks/task.queue.js';
import type { TaskStore } from './tasks/task.types.js';
import { openSpeech, type SpeechServices } from './voice/speech.js';
import { unusable, withoutPassword } from './util/url-text.js';
import { RedisBus, type InstanceBus } from './net/instance-bus.js';
import { VoiceModelRepository } from './voice/voice-model.repository.js';

export type LogFn = (level: 'info' | 'warn' | 'error', message: string, fields?: object) => void;

/** Everything a running Anima holds: the database, the services and the workers. */
export interface Platform<Payloads extends Record<string, object>, Services = unknown> {
  readonly config: Config;
  /** The database, SQLite here or Postgres shared by many instances. */
  readonly sql: SqlDb;
  /** This instance among those sharing a database (see PlatformCore). */
  readonly instanceId: string;
  readonly auth: AuthService;
  readonly files: FileService;
  readonly store: TaskStore;
  readonly queue: TaskQueueLike<Payloads>;
  readonly callbacks: CallbackService;
  readonly speech: SpeechServices;
  /** What the product built once for its handlers and routes (repositories, engine pools). */
  readonly services: Services;
  /** Sets the public base URL once the server knows its port. */
  setListeningPort(port: number): void;
  /** Settles what a crash left behind (tasks left running, partial uploads); claims no work. */
  recover(): Promise<void>;
  /** Starts the workers, callbacks and sweeper (recovering first if that has not run). */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** What an area's routes see of the platform: its services, a queue taking its own task types. */
export type AreaPlatform<Payloads extends Record<string, object>, Services> = Omit<
  Platform<Record<string, object>, Services>,
  'queue'
> & { readonly queue: TaskSubmitter<Payloads> };

/** What the platform itself opens, from which a product builds its services. */
export interface PlatformCore {
  readonly config: Config;
  /** The database, SQLite here or Postgres shared by many instances. */
  readonly sql: SqlDb;
  /** This instance among those sharing a database: kept in its data directory across restarts. */
  readonly instanceId: string;
  /** Requests to other instances (instances sharing a Redis); none on a single machine. */
  readonly bus?: InstanceBus;
  readonly files: FileService;
  readonly speech: SpeechServices;
  readonly voiceModels: VoiceModelRepository;
  /** Signed callbacks, recorded before they are sent (task ends, live status changes). */
  readonly callbacks: CallbackService;
  /** Refuses a URL this server may not call (a private address unless allowed), naming `field`. */
  readonly checkUrl: (url: string, field: string) => Promise<void>;
  /** The server's address as clients reach it (ANIMA_PUBLIC_URL, or where it listens). */
  readonly publicUrl: () => string;
  readonly log?: LogFn;
}

/** A product's services, built once at start-up, and the handlers made from them. */
export interface TaskWiring<Payloads extends Record<string, object>, Services> {
  readonly services: Services;
  readonly handlers: TaskHandlers<Payloads>;
  /** Settles what a stop left of the services' own work (live sessions cut off); before start. */
  recover?(): Promise<void>;
  /** Starts the services' own background work, once the server answers. */
  start?(): void;
  /** Closes what the services hold (engine pools), once no handler runs. */
  close(): Promise<void>;
}

export interface PlatformOptions<Payloads extends Record<string, object>, Services = unknown> {
  /** The handlers as they are, or the product's wiring, made once the core exists. */
  readonly tasks: TaskHandlers<Payloads> | ((core: PlatformCore) => TaskWiring<Payloads, Services>);
  readonly log?: LogFn;
  /** Take the data directory's lock (the server does; CLI commands that only touch apps do not). */
  readonly lock?: boolean;
}

/** The server key that signs download links and seals tokens, made once per data directory. */
function loadSecret(dataDir: string): Buffer {
  const file = path.join(dataDir, 'secret.key');
  try {
    return fs.readFileSync(file);
  } catch {
    const secret = randomBytes(32);
    fs.writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return secret;
  }
}

/** The data directory's instance id, made at its first start. */
function instanceIdOf(dataDir: string): string {
  const file = path.join(dataDir, 'instance.id');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    const id = randomBytes(8).toString('hex');
    fs.writeFileSync(file, id, { flag: 'wx' });
    return id;
  }
}

/**
 * Whether a lock's pid is a server still running. Our own pid is not: a lock naming it was left
 * by an earlier run that had the same pid (a container's server is often pid 1 every time).
 */
function holdsLock(pid: number): boolean {
  return pid !== process.pid && isAlive(pid);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid a lock file names; undefined while it is being written (or was left half-written). */
function lockHolder(file: string): number | undefined {
  const pid = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
  return Number.isFinite(pid) && pid > 0 ? pid : undefined;
}

/** Creates the lock holding our pid; false when it exists. Atomic: of two starts, one wins. */
function createLock(file: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    fs.writeSync(fd, String(process.pid));
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/** A lock with no pid yet is being written by a start under way, unless it has been for long. */
const halfWrittenMs = 10_000;

/**
 * Moves a dead server's lock out of the way. It is moved (atomic) before it is removed, and what
 * was moved is checked: a lock another start took meanwhile is put back, not removed.
 */
function clearStaleLock(file: string): void {
  const moved = `${file}.${process.pid}.stale`;
  try {
    fs.renameSync(file, moved);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const holder = lockHolder(moved);
  if (holder !== undefined && holdsLock(holder)) {
    try {
      fs.linkSync(moved, file);
    } catch {
      // Another start holds the lock now; either way the data directory is taken.
    }
  }
  fs.rmSync(moved, { force: true });
}

/** One server per data directory: a second one would run the same tasks twice. */
function takeLock(dataDir: string): () => void {
  const file = path.join(dataDir, 'server.pid');
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createLock(file)) {
      return () => {
        // Only our own lock is removed: a stale lock may have been cleared and retaken.
        if (fs.existsSync(file) && lockHolder(file) === process.pid) fs.rmSync(file);
      };
    }
    let holder: number | undefined;
    let ageMs: number;
    try {
      holder = lockHolder(file);
      ageMs = Date.now() - fs.statSync(file).mtimeMs;
    } catch {
      continue; // Removed between our try and our look: try again.
    }
    const held = holder === undefined ? ageMs < halfWrittenMs : holdsLock(holder);
    if (held) {
      const who =
        holder === undefined ? 'another Anima server' : `another Anima server (pid ${holder})`;
      throw new Error(`${who} is using the data directory ${dataDir}`);
    }
    clearStaleLock(file);
  }
  throw new Error(`could not take the lock of the data directory ${dataDir}; try again`);
}

/** Each ANIMA_CONCURRENCY entry must name a task type this server runs: a typo would be ignored. */
function checkConcurrency(config: Config, types: readonly string[]): void {
  const unknown = Object.keys(config.concurrency).filter((type) => !types.includes(type));
  if (unknown.length === 0) return;
  throw new ConfigError(
    unknown.map(
      (type) =>
        `ANIMA_CONCURRENCY (concurrency): there is no task type "${type}"; the task types are ${types.join(', ')}`,
    ),
  );
}

/** The task handlers (and the product's services) once the core is open; typos in config refused. */
function wireTasks<Payloads extends Record<string, object>, Services>(
  core: PlatformCore,
  tasks: PlatformOptions<Payloads, Services>['tasks'],
): TaskWiring<Payloads, Services> {
  const wiring =
    typeof tasks === 'function'
      ? tasks(core)
      : { services: undefined as Services, handlers: tasks, close: () => Promise.resolve() };
  try {
    checkConcurrency(core.config, Object.keys(wiring.handlers));
  } catch (error) {
    void wiring.close();
    throw error;
  }
  return wiring;
}

/** How often an instance sharing a database re-reads the personal voices. */
const voiceRefreshMs = 5000;

/** Where files' bytes go: an S3-compatible bucket when one is configured, else the data directory. */
function blobStoreFor(config: Config): BlobStore {
  if (config.s3Bucket === '') return new LocalBlobStore(path.join(config.dataDir, 'files'));
  return new S3BlobStore({
    endpoint: config.s3Endpoint.replace(/\/$/, ''),
    bucket: config.s3Bucket,
    region: config.s3Region,
    accessKeyId: config.s3AccessKeyId,
    secretAccessKey: config.s3SecretAccessKey,
    prefix: config.s3Prefix,
    cacheDir: path.join(config.dataDir, 'cache'),
  });
}

/** The database: SQLite in the data directory, or Postgres shared by many instances. */
interface Storage {
  readonly sql: SqlDb;
  readonly store: TaskStore;
  close(): Promise<void>;
}

async function openStorage(config: Config): Promise<Storage> {
  if (config.databaseUrl === '') {
    const db = openDatabase(path.join(config.dataDir, 'anima.db'));
    return {
      sql: new SqliteSql(db),
      store: new SqliteTaskStore(db),
      close: () => {
        db.close();
        return Promise.resolve();
      },
    };
  }
  let pool: PgPool;
  try {
    pool = await openPostgres(config.databaseUrl);
  } catch (error) {
    throw unusable('the database', withoutPassword(config.databaseUrl), error);
  }
  return { sql: new PostgresSql(pool), store: new PgTaskStore(pool), close: () => pool.end() };
}

/** The key links are signed and tokens sealed with: the configured one, or this directory's own. */
function serverKeyOf(config: Config): Buffer {
  return config.secret === ''
    ? loadSecret(config.dataDir)
    : createHash('sha256').update(config.secret).digest();
}

export async function openPlatform<Payloads extends Record<string, object>, Services = unknown>(
  config: Config,
  options: PlatformOptions<Payloads, Services>,
): Promise<Platform<Payloads, Services>> {
  fs.mkdirSync(config.dataDir, { recursive: true });
  const unlock = options.lock ? takeLock(config.dataDir) : () => undefined;
  let storage: Storage;
  try {
    storage = await openStorage(config);
  } catch (error) {
    unlock();
    throw error;
  }
  const { sql, store } = storage;
  const log = options.log;
  if (config.databaseUrl !== '' && config.redisUrl === '') {
    log?.(
      'warn',
      'on Postgres without ANIMA_REDIS_URL: run one instance on this database (recovery at start re-queues every running task)',
    );
  }
  const serverKey = serverKeyOf(config);
  const auth = new AuthService(sql, new TokenSealer(serverKey), config);
  const policy: AddressPolicy = {
    allowPrivate: config.fetchAllowPrivate,
    allowHosts: config.fetchAllowHosts,
  };
  let publicUrl = resolvePublicUrl(config, config.port);
  const files = new FileService(new FileRepository(sql), {
    dataDir: config.dataDir,
    blobs: blobStoreFor(config),
    secret: serverKey,
    retentionDays: config.fileRetentionDays,
    uploadLimitBytes: config.uploadLimitBytes,
    fetchMaxBytes: config.fetchMaxBytes,
    fetchTimeoutMs: config.fetchTimeoutSeconds * 1000,
    policy,
    publicUrl: () => publicUrl,
  });
  const voiceModels = new VoiceModelRepository(sql);
  const speech = openSpeech(config, () => voiceModels.voices());
  for (const problem of speech.voiceProblems) {
    options.log?.('warn', `ONNX voice left out: ${problem}`);
  }
  const callbacks = new CallbackService(sql, async (appId) => (await auth.findApp(appId))?.appKey, {
    policy,
    maxAttempts: config.callbackMaxAttempts,
    timeoutMs: config.callbackTimeoutSeconds * 1000,
    ...(log ? { log } : {}),
  });
  const checkUrl = (url: string, field: string) => checkUrlTarget(url, policy, field);
  const instanceId = instanceIdOf(config.dataDir);
  const bus =
    config.redisUrl === ''
      ? undefined
      : new RedisBus(config.redisUrl, config.redisPrefix, instanceId, log);
  let wiring: TaskWiring<Payloads, Services>;
  try {
    wiring = wireTasks(
      {
        config,
        sql,
        instanceId,
        ...(bus ? { bus } : {}),
        files,
        speech,
        voiceModels,
        callbacks,
        checkUrl,
        publicUrl: () => publicUrl,
        ...(log ? { log } : {}),
      },
      options.tasks,
    );
  } catch (error) {
    await speech.close();
    await storage.close();
    unlock();
    throw error;
  }
  const queueOptions = {
    workRoot: path.join(config.dataDir, 'work'),
    concurrency: config.concurrency,
    maxAttempts: config.taskMaxAttempts,
    checkCallbackUrl: (url: string) => checkUrl(url, 'callbackUrl'),
    ...(log ? { log } : {}),
  };
  const queue: TaskQueueLike<Payloads> =
    config.redisUrl === ''
      ? new TaskQueue(store, wiring.handlers, queueOptions)
      : new BullTaskQueue(store, wiring.handlers, {
          ...queueOptions,
          redisUrl: config.redisUrl,
          prefix: config.redisPrefix,
          work: config.role !== 'api',
          lockMs: config.queueLockSeconds * 1000,
        });
  queue.onEnded((task) => {
    auth
      .findApp(task.appId)
      .then((app) => callbacks.enqueue(task, app?.callbackUrl ?? null))
      .catch((error: unknown) =>
        log?.('error', 'callback not recorded', { taskId: task.id, error: String(error) }),
      );
  });

  let sweeper: NodeJS.Timeout | undefined;
  let voiceRefresh: NodeJS.Timeout | undefined;
  const sweep = (): void => {
    files.sweep().then(
      (removed) => removed > 0 && log?.('info', 'removed expired files', { removed }),
      (error: unknown) => log?.('error', 'file sweep failed', { error: String(error) }),
    );
  };

  // Once only: swept again after listening, tmp/ would hold uploads in flight.
  let recovered: Promise<void> | undefined;
  const recover = (): Promise<void> =>
    (recovered ??= (async () => {
      await files.checkStore();
      await voiceModels.refresh();
      const partials = await files.sweepPartials();
      if (partials > 0) log?.('info', 'removed partial uploads left by a stop', { partials });
      await queue.recover();
      await wiring.recover?.();
    })());

  return {
    config,
    sql,
    instanceId,
    auth,
    files,
    store,
    queue,
    callbacks,
    speech,
    services: wiring.services,
    setListeningPort(port) {
      publicUrl = resolvePublicUrl(config, port);
    },
    recover,
    async start() {
      await recover();
      await queue.start();
      await bus?.start();
      wiring.start?.();
      callbacks.start();
      sweep();
      sweeper = setInterval(sweep, config.sweepIntervalSeconds * 1000);
      sweeper.unref();
      // Instances sharing a database learn of voices trained elsewhere within seconds.
      if (config.databaseUrl !== '') {
        voiceRefresh = setInterval(() => {
          voiceModels
            .refresh()
            .catch((error: unknown) =>
              log?.('warn', 'personal voices not re-read', { error: String(error) }),
            );
        }, voiceRefreshMs);
        voiceRefresh.unref();
      }
    },
    async close() {
      if (sweeper) clearInterval(sweeper);
      if (voiceRefresh) clearInterval(voiceRefresh);
      await queue.stop();
      await callbacks.stop();
      await wiring.close();
      await bus?.close();
      await speech.close();
      await storage.close();
      unlock();
    },
  };
}
