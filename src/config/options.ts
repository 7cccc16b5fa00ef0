/**
 * Every setting, defined once: its key, environment variable, command-line flag, default and
 * documentation. The CLI, the server and the README table all read this list.
 */
export type OptionKind = 'int' | 'bool' | 'string' | 'url' | 'list' | 'concurrency' | 'level';

export interface OptionDef {
  readonly env: string;
  readonly flag?: string;
  readonly kind: OptionKind;
  readonly default: string;
  readonly doc: string;
  readonly min?: number;
  readonly max?: number;
  /** For a string: the values it may take. */
  readonly choices?: readonly string[];
}

export const optionDefs = {
  port: {
    env: 'ANIMA_PORT',
    flag: 'port',
    kind: 'int',
    default: '8080',
    min: 0,
    max: 65535,
    doc: 'TCP port of the HTTP and WebSocket API (0 picks a free one).',
  },
  host: {
    env: 'ANIMA_HOST',
    flag: 'host',
    kind: 'string',
    default: '127.0.0.1',
    doc: 'Address to listen on; 0.0.0.0 to accept connections from other machines.',
  },
  dataDir: {
    env: 'ANIMA_DATA',
    flag: 'data',
    kind: 'string',
    default: './data',
    doc: 'Data directory: the SQLite database, uploaded and generated files. Nothing outside it is written.',
  },
  publicUrl: {
    env: 'ANIMA_PUBLIC_URL',
    flag: 'public-url',
    kind: 'string',
    default: '',
    doc: 'Base URL clients reach this server at, used in download links (default http://<host>:<port>).',
  },
  serverUrl: {
    env: 'ANIMA_URL',
    flag: 'url',
    kind: 'string',
    default: 'http://127.0.0.1:8080',
    doc: 'Client commands (anima avatar ...): the Anima server to talk to.',
  },
  clientAppId: {
    env: 'ANIMA_APP_ID',
    flag: 'app-id',
    kind: 'string',
    default: '',
    doc: 'Client commands: the appId to sign in with (anima app create prints one).',
  },
  clientAppKey: {
    env: 'ANIMA_APP_KEY',
    flag: 'app-key',
    kind: 'string',
    default: '',
    doc: 'Client commands: the appKey that goes with the appId.',
  },
  logLevel: {
    env: 'ANIMA_LOG_LEVEL',
    flag: 'log-level',
    kind: 'level',
    default: 'info',
    doc: 'Log level: fatal, error, warn, info, debug, trace or silent.',
  },
  accessTokenTtlSeconds: {
    env: 'ANIMA_ACCESS_TOKEN_TTL',
    kind: 'int',
    default: String(8 * 3600),
    min: 60,
    doc: 'Lifetime of an access token in seconds.',
  },
  refreshTokenTtlSeconds: {
    env: 'ANIMA_REFRESH_TOKEN_TTL',
    kind: 'int',
    default: String(30 * 24 * 3600),
    min: 60,
    doc: 'Lifetime of a refresh token in seconds.',
  },
  maxAccessTokensPerApp: {
    env: 'ANIMA_MAX_ACCESS_TOKENS',
    kind: 'int',
    default: '2',
    min: 1,
    doc: 'Tokens of each kind (access, refresh) an app holds with over an eighth of their lifetime left; at the cap a sign or refresh answers the newest of them instead of minting one, and no held token is ever retired early.',
  },
  signWindowSeconds: {
    env: 'ANIMA_SIGN_WINDOW',
    kind: 'int',
    default: '300',
    min: 1,
    doc: 'How far (seconds) a token request timestamp may be from server time.',
  },
  rateLimitPerMinute: {
    env: 'ANIMA_RATE_LIMIT',
    kind: 'int',
    default: '1200',
    min: 1,
    doc: 'Requests per minute allowed per app (or per address before authentication).',
  },
  bodyLimitBytes: {
    env: 'ANIMA_BODY_LIMIT',
    kind: 'int',
    default: String(1024 * 1024),
    min: 1024,
    doc: 'Largest JSON request body in bytes.',
  },
  uploadLimitBytes: {
    env: 'ANIMA_UPLOAD_LIMIT',
    kind: 'int',
    default: String(2 * 1024 * 1024 * 1024),
    min: 1024,
    doc: 'Largest uploaded file in bytes.',
  },
  fileRetentionDays: {
    env: 'ANIMA_RETENTION_DAYS',
    kind: 'int',
    default: '7',
    min: 1,
    doc: 'Days that uploaded and generated files (and their download links) are kept.',
  },
  sweepIntervalSeconds: {
    env: 'ANIMA_SWEEP_INTERVAL',
    kind: 'int',
    default: '3600',
    min: 1,
    doc: 'How often expired files are removed, in seconds.',
  },
  fetchMaxBytes: {
    env: 'ANIMA_FETCH_MAX_BYTES',
    kind: 'int',
    default: String(1024 * 1024 * 1024),
    min: 1024,
    doc: 'Largest remote media file the server will fetch, in bytes.',
  },
  fetchTimeoutSeconds: {
    env: 'ANIMA_FETCH_TIMEOUT',
    kind: 'int',
    default: '300',
    min: 1,
    doc: 'Longest time to fetch one remote media file, in seconds.',
  },
  fetchAllowPrivate: {
    env: 'ANIMA_FETCH_ALLOW_PRIVATE',
    kind: 'bool',
    default: 'false',
    doc: 'Allow fetching media and calling back to loopback, private and link-local addresses.',
  },
  onnxVoicesDir: {
    env: 'ANIMA_ONNX_VOICES',
    kind: 'string',
    default: '',
    doc: 'A directory of neural voices the operator supplies: one directory per voice with model.onnx and voice.json (see README); none by default.',
  },
  fetchAllowHosts: {
    env: 'ANIMA_FETCH_ALLOW_HOSTS',
    kind: 'list',
    default: '',
    doc: 'Comma-separated host names or IP addresses that may be fetched even if private (for example a NAS).',
  },
  concurrency: {
    env: 'ANIMA_CONCURRENCY',
    kind: 'concurrency',
    default: '',
    doc: 'Workers per task type, as type=n pairs separated by commas (for example video.render=2); each type defaults to 1.',
  },
  taskMaxAttempts: {
    env: 'ANIMA_TASK_MAX_ATTEMPTS',
    kind: 'int',
    default: '3',
    min: 1,
    doc: 'Times a task is started before a server crash during it counts as a failure.',
  },
  callbackMaxAttempts: {
    env: 'ANIMA_CALLBACK_MAX_ATTEMPTS',
    kind: 'int',
    default: '8',
    min: 1,
    doc: 'Deliveries tried for one callback before it is given up (back-off doubles from 1 s).',
  },
  callbackTimeoutSeconds: {
    env: 'ANIMA_CALLBACK_TIMEOUT',
    kind: 'int',
    default: '10',
    min: 1,
    doc: 'Time a callback receiver has to answer, in seconds.',
  },
  ttsMaxChars: {
    env: 'ANIMA_TTS_MAX_CHARS',
    kind: 'int',
    default: '20000',
    min: 100,
    doc: 'Longest text one TTS request may hold, in characters.',
  },
  festivalProcesses: {
    env: 'ANIMA_FESTIVAL_PROCESSES',
    kind: 'int',
    default: '2',
    min: 1,
    doc: 'Warm Festival processes for English TTS (each about 330 MB); a request goes to the least busy.',
  },
  faceWorkers: {
    env: 'ANIMA_FACE_WORKERS',
    kind: 'int',
    default: '2',
    min: 1,
    doc: 'Worker threads tracking faces in one avatar build (each loads the face models, about 90 MB).',
  },
  videoPreset: {
    env: 'ANIMA_VIDEO_PRESET',
    kind: 'string',
    default: 'ultrafast',
    choices: ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium'],
    doc: "x264's preset for rendered MP4s: ultrafast renders 720p near 6x real time on 2 cores; slower presets give smaller files at the same quality.",
  },
  voiceStarterTimeoutSeconds: {
    env: 'ANIMA_VOICE_STARTER_TIMEOUT',
    kind: 'int',
    default: '10',
    min: 1,
    doc: 'Seconds a streaming voice socket may wait for its Starter message before it is closed.',
  },
  voiceMinSpeechSeconds: {
    env: 'ANIMA_VOICE_MIN_SPEECH',
    kind: 'int',
    default: '2',
    min: 1,
    doc: 'Seconds of speech (pauses not counted) a personal voice needs from its samples; 30 s or more gives steadier measurements.',
  },
  voiceIdleTimeoutSeconds: {
    env: 'ANIMA_VOICE_IDLE_TIMEOUT',
    kind: 'int',
    default: '60',
    min: 1,
    doc: 'Seconds a streaming voice socket may stay silent (no message, no ping) before it is closed.',
  },
  voiceAliases: {
    env: 'ANIMA_VOICE_ALIASES',
    kind: 'string',
    default: '',
    doc: 'A JSON file of voice aliases, {"<hosted voice id or any name>": "<local voice id>"}, so clients keep the voice ids they already send; read at start-up.',
  },
  voiceStrict: {
    env: 'ANIMA_VOICE_STRICT',
    kind: 'bool',
    default: 'false',
    doc: "Refuse an unknown voice id (7003) instead of speaking with the language's default voice and a warning.",
  },
  asrMaxStreams: {
    env: 'ANIMA_ASR_MAX_STREAMS',
    kind: 'int',
    default: '4',
    min: 1,
    doc: 'Streaming sockets that may recognise speech at once (each holds a decoder of about 90 MB while it listens); a Starter beyond them is refused as busy. Recordings transcribed by tasks take turns outside this budget.',
  },
  asrMaxSeconds: {
    env: 'ANIMA_ASR_MAX_SECONDS',
    kind: 'int',
    default: '600',
    min: 10,
    doc: 'Longest audio one speech recognition may take, in seconds.',
  },
  recordingMaxSeconds: {
    env: 'ANIMA_RECORDING_MAX_SECONDS',
    kind: 'int',
    default: '1800',
    min: 1,
    doc: "Longest recording a video's speech may be, in seconds; a longer one is refused before it is decoded.",
  },
  avatarMaxSeconds: {
    env: 'ANIMA_AVATAR_MAX_SECONDS',
    kind: 'int',
    default: '600',
    min: 2,
    doc: 'Longest filmed clip an avatar is built from, in seconds (every frame is tracked, and its landmarks kept on disk).',
  },
  diskReserveBytes: {
    env: 'ANIMA_DISK_RESERVE',
    kind: 'int',
    default: String(256 * 1024 * 1024),
    min: 0,
    doc: "Bytes kept free on the data directory's disk: an upload, a render or an avatar build that would eat into them is refused (507) before it starts.",
  },
  liveMaxSessions: {
    env: 'ANIMA_LIVE_MAX_SESSIONS',
    kind: 'int',
    default: '4',
    min: 0,
    doc: 'Live sessions this server runs at once; a new one beyond is refused (9003), never a running one slowed. A script whose scenes differ in look counts as two (a compositor per look costs about 1.7 times the CPU). The default is what 2 cores carry at 720p25 with no frame late, the avatar keyed over a background picture (5 on black, 8 at 480p; docs/benchmarks.md); raise it with more cores or smaller streams.',
  },
  liveMaxPerApp: {
    env: 'ANIMA_LIVE_MAX_PER_APP',
    kind: 'int',
    default: '2',
    min: 1,
    doc: 'Live sessions one app may run at once (9004 beyond).',
  },
  liveMaxMinutes: {
    env: 'ANIMA_LIVE_MAX_MINUTES',
    kind: 'int',
    default: '240',
    min: 1,
    doc: 'Longest a live session runs before it is closed, in minutes.',
  },
  liveIdleSeconds: {
    env: 'ANIMA_LIVE_IDLE_SECONDS',
    kind: 'int',
    default: '120',
    min: 5,
    doc: 'A live session with nothing pushed and nobody watching (no WebRTC or HLS viewer, no RTMP push) for this long is closed.',
  },
  livePreset: {
    env: 'ANIMA_LIVE_PRESET',
    kind: 'string',
    default: 'ultrafast',
    choices: ['ultrafast', 'superfast', 'veryfast', 'faster'],
    doc: "x264's preset for live streams (zero latency, one encode per session fanned out to WebRTC, HLS and RTMP). The capacity figures (docs/benchmarks.md) are measured with ultrafast; veryfast costs the encoder about twice the CPU (28–33% of a core at 720p25 against 14%).",
  },
  liveVideoKbps: {
    env: 'ANIMA_LIVE_VIDEO_KBPS',
    kind: 'int',
    default: '2500',
    min: 200,
    doc: "Video bit rate of a live stream, kbit/s (at 720p; scaled by the stream's pixel count).",
  },
} as const satisfies Record<string, OptionDef>;

export type OptionKey = keyof typeof optionDefs;
