import path from 'node:path';
import { isIP } from 'node:net';
import { withoutPassword } from '../util/url-text.js';
import { optionDefs, type OptionDef, type OptionKey } from './options.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const logLevels: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly publicUrl: string;
  readonly serverUrl: string;
  readonly clientAppId: string;
  readonly clientAppKey: string;
  readonly logLevel: LogLevel;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly maxAccessTokensPerApp: number;
  readonly signWindowSeconds: number;
  readonly rateLimitPerMinute: number;
  readonly bodyLimitBytes: number;
  readonly uploadLimitBytes: number;
  readonly fileRetentionDays: number;
  readonly sweepIntervalSeconds: number;
  readonly fetchMaxBytes: number;
  readonly fetchTimeoutSeconds: number;
  readonly fetchAllowPrivate: boolean;
  readonly fetchAllowHosts: readonly string[];
  readonly concurrency: Readonly<Record<string, number>>;
  readonly taskMaxAttempts: number;
  readonly callbackMaxAttempts: number;
  readonly callbackTimeoutSeconds: number;
  readonly ttsMaxChars: number;
  readonly festivalProcesses: number;
  readonly faceWorkers: number;
  readonly videoPreset: string;
  readonly voiceStarterTimeoutSeconds: number;
  readonly voiceMinSpeechSeconds: number;
  readonly onnxVoicesDir: string;
  readonly voiceIdleTimeoutSeconds: number;
  readonly asrMaxSeconds: number;
  readonly asrMaxStreams: number;
  readonly recordingMaxSeconds: number;
  readonly avatarMaxSeconds: number;
  readonly diskReserveBytes: number;
  readonly voiceAliases: string;
  readonly voiceStrict: boolean;
  readonly liveMaxSessions: number;
  readonly liveMaxPerApp: number;
  readonly liveMaxMinutes: number;
  readonly liveIdleSeconds: number;
  readonly livePreset: string;
  readonly liveVideoKbps: number;
  readonly liveUdpPorts: string;
  readonly liveIceAddress: string;
  readonly liveOrphanSeconds: number;
  readonly role: 'all' | 'api' | 'worker';
  readonly redisUrl: string;
  readonly redisPrefix: string;
  readonly queueLockSeconds: number;
  readonly databaseUrl: string;
  readonly secret: string;
  readonly s3Bucket: string;
  readonly s3Endpoint: string;
  readonly s3Region: string;
  readonly s3AccessKeyId: string;
  readonly s3SecretAccessKey: string;
  readonly s3Prefix: string;
}

/** Every bad setting, reported together so the operator fixes them in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export interface ConfigSources {
  /** Values from command-line flags, keyed by option key. */
  readonly flags?: Partial<Record<OptionKey, string>>;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

type Parsed = number | boolean | string | readonly string[] | Readonly<Record<string, number>>;

function parseValue(def: OptionDef, raw: string): Parsed | string[] {
  const trimmed = raw.trim();
  switch (def.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(trimmed)) return [`expected a whole number, got "${raw}"`];
      const n = Number(trimmed);
      if (def.min !== undefined && n < def.min) return [`must be at least ${def.min}, got ${n}`];
      if (def.max !== undefined && n > def.max) return [`must be at most ${def.max}, got ${n}`];
      return n;
    }
    case 'bool':
      if (/^(1|true|yes|on)$/i.test(trimmed)) return true;
      if (/^(0|false|no|off)$/i.test(trimmed)) return false;
      return [`expected true or false, got "${raw}"`];
    case 'string':
      return def.choices && !def.choices.includes(trimmed)
        ? [`expected one of ${def.choices.join(', ')}, got "${raw}"`]
        : trimmed;
    case 'url':
      try {
        return trimmed === '' ? '' : new URL(trimmed).toString();
      } catch {
        return [`expected a URL, got "${raw}"`];
      }
    case 'level':
      return (logLevels as readonly string[]).includes(trimmed)
        ? trimmed
        : [`expected one of ${logLevels.join(', ')}, got "${raw}"`];
    case 'list':
      return trimmed === '' ? [] : trimmed.split(',').map((s) => s.trim().toLowerCase());
    case 'concurrency': {
      const result: Record<string, number> = {};
      const problems: string[] = [];
      for (const pair of trimmed === '' ? [] : trimmed.split(',')) {
        const match = /^\s*([a-z][\w.-]*)\s*=\s*(\d+)\s*$/i.exec(pair);
        if (!match?.[1] || !match[2] || Number(match[2]) < 1) {
          problems.push(`expected type=n with n >= 1, got "${pair}"`);
        } else {
          result[match[1]] = Number(match[2]);
        }
      }
      return problems.length > 0 ? problems : result;
    }
  }
}

/** Parses every option once, reports all problems at once, and returns a frozen config. */
export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const values: Record<string, Parsed> = {};
  const problems: string[] = [];
  for (const [key, def] of Object.entries(optionDefs) as [OptionKey, OptionDef][]) {
    const fromFlag = sources.flags?.[key];
    const fromEnv = env[def.env];
    const raw = fromFlag ?? fromEnv ?? def.default;
    const origin =
      fromFlag !== undefined ? `--${def.flag ?? key}` : fromEnv !== undefined ? def.env : 'default';
    const parsed = parseValue(def, raw);
    if (Array.isArray(parsed) && def.kind !== 'list') {
      for (const p of parsed) problems.push(`${origin} (${key}): ${p}`);
    } else {
      values[key] = parsed;
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const config = values as unknown as Config & { dataDir: string; publicUrl: string };
  config.dataDir = path.resolve(config.dataDir);
  if (config.publicUrl !== '') {
    try {
      config.publicUrl = new URL(config.publicUrl).toString().replace(/\/$/, '');
    } catch {
      throw new ConfigError([`publicUrl: expected an absolute URL, got "${config.publicUrl}"`]);
    }
  }
  if (config.databaseUrl !== '' && !/^postgres(ql)?:\/\/./.test(config.databaseUrl)) {
    throw new ConfigError([
      `databaseUrl: expected postgres://user:password@host:port/database, got "${withoutPassword(config.databaseUrl)}"`,
    ]);
  }
  if (config.redisUrl !== '' && !/^rediss?:\/\/./.test(config.redisUrl)) {
    throw new ConfigError([`redisUrl: expected redis://host:port, got "${config.redisUrl}"`]);
  }
  if (config.role !== 'all' && (config.redisUrl === '' || config.databaseUrl === '')) {
    throw new ConfigError([
      `role: an ${config.role} instance shares its work with others: give ANIMA_REDIS_URL and ANIMA_DATABASE_URL`,
    ]);
  }
  const ports = /^(\d+)-(\d+)$/.exec(config.liveUdpPorts);
  if (
    config.liveUdpPorts !== '' &&
    !(
      ports &&
      1024 <= Number(ports[1]) &&
      Number(ports[1]) <= Number(ports[2]) &&
      Number(ports[2]) <= 65535
    )
  ) {
    throw new ConfigError([
      `liveUdpPorts: expected begin-end within 1024-65535 (e.g. 40000-40999), got "${config.liveUdpPorts}"`,
    ]);
  }
  if (config.liveIceAddress !== '' && isIP(config.liveIceAddress) === 0) {
    throw new ConfigError([
      `liveIceAddress: expected an IP address of this machine, got "${config.liveIceAddress}"`,
    ]);
  }
  if (config.secret !== '' && config.secret.length < 32) {
    throw new ConfigError(['secret: ANIMA_SECRET must be at least 32 characters']);
  }
  if (config.s3Bucket !== '' && (config.s3AccessKeyId === '' || config.s3SecretAccessKey === '')) {
    throw new ConfigError([
      's3Bucket: ANIMA_S3_ACCESS_KEY_ID and ANIMA_S3_SECRET_ACCESS_KEY are needed with ANIMA_S3_BUCKET',
    ]);
  }
  return deepFreeze(config);
}

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) {
    if (inner && typeof inner === 'object') deepFreeze(inner as object);
  }
  return Object.freeze(value);
}

/** The base URL for links, once the listening port is known. */
export function resolvePublicUrl(config: Config, boundPort: number): string {
  if (config.publicUrl !== '') return config.publicUrl;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
}
