/**
 * The one error catalog. Every error the platform answers with is here: its numeric code, the
 * HTTP status, the message (word for word where a public client already knows it) and the fix in
 * plain words. docs/errors.md is generated from this table and a test keeps the two in step.
 *
 * Messages may hold `{name}` placeholders, filled from the error's params.
 */
export interface CatalogEntry {
  readonly code: number;
  readonly http: number;
  readonly message: string;
  readonly fix: string;
}

function entry(code: number, http: number, message: string, fix: string): CatalogEntry {
  return Object.freeze({ code, http, message, fix });
}

export const errorCatalog = Object.freeze({
  // Envelope and access (public: FAQ).
  badParams: entry(
    3333,
    400,
    '请求参数为空或格式错误,请检查',
    'Check that every required parameter is sent with the right type (see `detail`), and that Content-Type is application/json (multipart/form-data for uploads).',
  ),
  unauthorized: entry(
    401,
    401,
    '',
    'Send a valid access token as `Authorization: Bearer <accessToken>`; get one from POST /api/uc/v1/access/api/token. Tokens expire (8 hours by default).',
  ),

  // Token exchange (ours).
  signInvalid: entry(
    1001,
    401,
    'appId or sign is invalid',
    'Compute sign as the lowercase hex MD5 of appId + timestamp + appKey, with timestamp exactly as sent, and check the appId.',
  ),
  timestampOutOfWindow: entry(
    1002,
    400,
    'timestamp is outside the accepted window of {windowSeconds} seconds',
    'Send the current time in seconds or milliseconds since 1970, and keep the client clock in sync (NTP).',
  ),
  appRevoked: entry(
    1003,
    403,
    'app {appId} has been revoked',
    'Ask the operator for a new app (anima app create).',
  ),
  rateLimited: entry(
    1429,
    429,
    'too many requests: at most {max} per {window} for this app',
    'Slow down and retry after the number of seconds in the Retry-After header.',
  ),
  payloadTooLarge: entry(
    1413,
    413,
    'request body is larger than the limit of {limitBytes} bytes',
    'Send large media as a file upload or a URL, not inside the JSON body.',
  ),
  routeNotFound: entry(
    1404,
    404,
    'no such endpoint: {method} {url}',
    'Check the path and method against the API reference at /docs.',
  ),

  // Tasks (ours).
  taskNotFound: entry(
    2001,
    404,
    'task {taskId} not found',
    'Check the taskId; tasks of other apps are not visible, and deleted tasks are gone.',
  ),
  taskAlreadyEnded: entry(
    2002,
    409,
    'task {taskId} has already ended ({status})',
    'Only queued or running tasks can be cancelled.',
  ),
  taskStillActive: entry(
    2003,
    409,
    'task {taskId} is still {status}',
    'Cancel the task first, then delete it.',
  ),
  taskInterrupted: entry(
    2101,
    500,
    'the server stopped {attempts} times while this task was running; it was not retried again',
    'Submit the task again; if it keeps failing, check the server log and its memory limits.',
  ),
  taskCancelled: entry(
    2102,
    200,
    'task was cancelled',
    'Nothing to fix: the task was cancelled on request.',
  ),
  internal: entry(
    5000,
    500,
    'internal error: {reason}',
    'Retry; if it happens again, report it with the time and the request so the operator can find it in the log.',
  ),
  // Disk space (ours): the server's fault, not the request's; the fix is for the operator.
  diskFull: entry(
    5001,
    507,
    "the server's data disk is full",
    "Nothing is wrong with the request: the operator must free space on the disk of the server's data directory (Anima's own results expire after ANIMA_RETENTION_DAYS), then the request can be sent again.",
  ),
  diskSpaceLow: entry(
    5002,
    507,
    "the server's data disk has {freeMB} MB free; this needs about {neededMB} MB, and {reserveMB} MB are kept in reserve",
    "Nothing is wrong with the request: the operator must free at least {shortMB} MB on the disk of the server's data directory (or lower ANIMA_DISK_RESERVE), then the request can be sent again.",
  ),
  databaseUnavailable: entry(
    5004,
    503,
    'the database is not answering',
    'Retry in a few seconds: accepted tasks are kept and nothing was changed by this request. If it lasts, the operator should check the Postgres server of ANIMA_DATABASE_URL.',
  ),
  shuttingDown: entry(
    5003,
    503,
    'the server is shutting down',
    'Retry in a few seconds; accepted tasks are kept and resume after the restart.',
  ),

  // Files and remote media (ours).
  fileNotFound: entry(
    3001,
    404,
    'file {fileId} not found',
    'Check the fileId; uploaded files are kept for {retentionDays} days.',
  ),
  fileTypeUnsupported: entry(
    3002,
    400,
    'unsupported file type {detected}: expected {expected}',
    'Upload a video (MP4, MOV, WebM, MPEG), an audio file (WAV, MP3, M4A, OGG, FLAC), an image (PNG, JPEG, WebP) or a zip.',
  ),
  fileTooLarge: entry(
    3003,
    413,
    'file is larger than the limit of {limitBytes} bytes',
    'Send a shorter or more compressed file, or ask the operator to raise the upload limit.',
  ),
  downloadLinkInvalid: entry(
    3004,
    403,
    'download link is invalid or has expired',
    'Query the task again for a fresh link; links expire after a while.',
  ),
  rangeNotSatisfiable: entry(
    3005,
    416,
    'requested range is not satisfiable for a file of {size} bytes',
    'Ask for a byte range inside the file.',
  ),
  uploadMissingFile: entry(
    3006,
    400,
    'no file part in the upload',
    'Send multipart/form-data with one part named `file`.',
  ),
  remoteUrlInvalid: entry(
    3010,
    400,
    'URL {url} is not a valid http or https URL',
    'Give an absolute http:// or https:// URL without a user name or password (for media, a fileId or a URL this server handed out also does).',
  ),
  remoteAddressRefused: entry(
    3011,
    400,
    'URL {url} points to a {kind} address ({address}), which this server does not contact',
    'Use a URL on a public address (for media, upload the file instead), or ask the operator to allow that host (ANIMA_FETCH_ALLOW_HOSTS).',
  ),
  remoteFetchFailed: entry(
    3012,
    400,
    'could not fetch media URL {url}: {reason}',
    'Check that the URL is reachable from the server and answers 200 without a login.',
  ),
  remoteTooLarge: entry(
    3013,
    400,
    'media URL {url} is larger than the limit of {limitBytes} bytes',
    'Send a smaller file, or ask the operator to raise ANIMA_FETCH_MAX_BYTES.',
  ),
  remoteTimeout: entry(
    3014,
    400,
    'fetching media URL {url} took longer than {seconds} seconds',
    'Host the file somewhere faster, or upload it.',
  ),
  remoteTooManyRedirects: entry(
    3015,
    400,
    'media URL {url} redirected more than {max} times',
    'Give the final URL directly.',
  ),

  // Media limits and unreadable media (ours): what any input may cost, and input that is no media.
  recordingTooLong: entry(
    3020,
    400,
    'the recording {fileName} lasts {seconds} s; at most {maxSeconds} s is accepted',
    'Cut the recording into parts of at most {maxSeconds} s and make a video of each, or ask the operator to raise ANIMA_RECORDING_MAX_SECONDS.',
  ),
  mediaUnreadable: entry(
    3021,
    400,
    'the file {fileName} cannot be read as media: {reason}',
    'Send the file whole, as the camera or editor saved it (an upload or download cut short lacks its index); re-export it if it does not play on your computer.',
  ),

  // Requests refused at the door (ours).
  uploadIncomplete: entry(
    3030,
    400,
    'the upload ended before the whole file arrived',
    'Send the file again; if it keeps failing, check the connection and any proxy limits on body size or time.',
  ),

  // Speech (ours).
  ttsTextTooLong: entry(
    7001,
    400,
    'text is longer than the limit of {maxChars} characters',
    'Split the text into several requests, or ask the operator to raise ANIMA_TTS_MAX_CHARS.',
  ),
  ssmlInvalid: entry(
    7002,
    400,
    'invalid SSML: {reason}',
    'Use <speak> with <break time="500ms"/>, <prosody rate=".." pitch="..">, <say-as interpret-as="digits|characters|cardinal"> and <s>/<p>, each closed; escape & and < in text as &amp; and &lt;.',
  ),
  voiceNotFound: entry(
    7003,
    400,
    'voice {voice} not found',
    'Pick a voice id from GET /api/voice/v1/voices, or leave it empty for the language default.',
  ),
  languageNotSupported: entry(
    7004,
    400,
    'language {language} is not supported for {what}',
    'Use one of the supported languages: {supported}.',
  ),

  speechEngineFailed: entry(
    7005,
    500,
    'speech engine {engine} failed: {reason}',
    'Try again; if it keeps failing, the server log says more, and the operator can check that the speech packages are installed (npm test installs them).',
  ),
  speechRecognitionFailed: entry(
    7006,
    500,
    'speech recognition failed: {reason}',
    'Try again; if it keeps failing, check that the audio is 16 kHz 16-bit mono PCM.',
  ),

  voiceStreamProtocol: entry(
    7007,
    400,
    'streaming voice: {reason}',
    'Follow the streaming voice protocol: a Starter first ({type: "TTS3" | "ASR5" | "TTS3+ASR5", tts: {...}, asr: {...}}), then {id, query} for speech or binary audio ended by {signal: "eof"}.',
  ),
  asrAudioFormat: entry(
    7008,
    400,
    'audio must be 16 kHz 16-bit mono PCM, got {got}',
    'Send raw 16 kHz 16-bit little-endian mono PCM (no WAV header) in 1280-byte chunks; convert with ffmpeg -i in.wav -ar 16000 -ac 1 -f s16le out.pcm.',
  ),

  asrBusy: entry(
    7009,
    503,
    'speech recognition is busy: all {max} recognition slots are held by open sockets',
    'Close voice sockets you no longer listen on (an ASR Starter holds a slot until its socket closes) and retry, or ask the operator to raise ANIMA_ASR_MAX_STREAMS if the machine has the memory.',
  ),

  // Avatar models (ours).
  avatarModelUnsafe: entry(
    8001,
    400,
    'avatar model zip refused: {reason}',
    'Use the model .zip exactly as avatar generation produced it; do not repack it by hand.',
  ),

  avatarSourceInvalid: entry(
    8002,
    400,
    'the avatar source {fileName} cannot be used: {reason}',
    'Send a clip of the person facing the camera for at least a few seconds, with sound, as recorded (MP4, MOV, WebM or MPEG), or one photo of the face (PNG, JPEG or WebP); at least 128 pixels a side, 360x288 or larger is best.',
  ),

  avatarSeveralFaces: entry(
    8003,
    400,
    'frame {frame} shows {count} faces; an avatar is one person alone in the picture',
    'Film the person alone, or crop the video so only their face is in it (ffmpeg -vf crop=w:h:x:y).',
  ),
  avatarFaceTooSmall: entry(
    8004,
    400,
    'the face in frame {frame} is {size} pixels wide; at least {min} are needed',
    'Film closer, so the face fills more of the picture, or crop the video around the face.',
  ),
  avatarFaceOutOfFrame: entry(
    8005,
    400,
    'the face leaves the picture in frame {frame}',
    'Keep the whole face inside the picture for the whole clip: cut the part where it moves out.',
  ),
  videoRecordingInvalid: entry(
    8101,
    400,
    'the recording {fileName} cannot be used: {reason}',
    'Send a recording of the speech with sound (WAV, MP3, M4A, OGG or FLAC, or a video with an audio track), at least half a second long.',
  ),

  // Voice samples (ours): each fault of the check stage says which file and what to change.
  voiceSampleUnreadable: entry(
    8201,
    400,
    'the voice sample {fileName} cannot be read as audio: {reason}',
    'Send recordings in a common audio format (WAV, MP3, M4A, OGG or FLAC) with a sound track.',
  ),
  voiceNoSpeech: entry(
    8202,
    400,
    'no speech was found in the voice sample {fileName}',
    'Send recordings of the person speaking; a file of silence, music or noise cannot train a voice.',
  ),
  voiceTooShort: entry(
    8203,
    400,
    'the voice samples hold {seconds} s of speech; at least {minimum} s is needed',
    'Send more speech of the same person (30 s or more gives steadier measurements); pauses do not count.',
  ),
  voiceTooQuiet: entry(
    8204,
    400,
    'the voice sample {fileName} is too quiet: its speech is at {level} dBFS, at least {minimum} dBFS is needed',
    'Record closer to the microphone or raise the input level, without clipping.',
  ),
  voiceClipped: entry(
    8205,
    400,
    'the voice sample {fileName} is clipped: {percent}% of its samples are at full scale',
    'Record again with a lower input level, so that the loudest speech stays below full scale.',
  ),
  voiceTooNoisy: entry(
    8206,
    400,
    'the voice sample {fileName} is too noisy: its speech is {snr} dB above the background, at least {minimum} dB is needed',
    'Record in a quiet room, away from fans, traffic and music, with the microphone close to the speaker.',
  ),
  voiceSeveralSpeakers: entry(
    8207,
    400,
    'the voice samples hold more than one speaker: voices around {low} Hz and {high} Hz',
    'Send recordings of one person only; cut out other voices.',
  ),

  // Task errors users already know (public: FAQ), word for word.
  avatarModelInvalid: entry(
    6001,
    400,
    'digital role model must must be in zip format and contain assets and models resources',
    'The avatar model URL must point to the .zip made by avatar generation, holding the folders assets/ and models/; check the URL and its face_feature_id.',
  ),
  avatarModelMismatch: entry(
    6002,
    400,
    'FfmpegTask: no pcm sound. taskId:{taskId}',
    'The avatar model and the face_feature_id do not belong together: use the url and face_feature_id from the same avatar generation result.',
  ),
  ttsTextUnpunctuated: entry(
    6003,
    400,
    'engine status error: failed, backend buffer size is too long',
    'The text has more than 80 characters in a row without punctuation: add commas or full stops so it can be read aloud.',
  ),
  backgroundFpsTooLow: entry(
    6004,
    400,
    '[worker2d] FfmpegTask: process image info failed: output fps must be smaller than input fps.',
    'Background videos must run at 25 frames per second or more, and at least the output frame rate; re-encode the background (ffmpeg -i in.mp4 -r 25 out.mp4).',
  ),
  liveScriptInvalid: entry(
    6005,
    400,
    'LiveStream:parse scenelist failed.pass video json to live?',
    'The live script is invalid: check it has a sceneList of scenes with digital_role and speech, that it is not a video-synthesis param, and that each text is not too short.',
  ),
  avatarNoFace: entry(
    6006,
    400,
    '{modelId} is failed Error: Frame Index :{frame} find 0 faces!',
    'No face was found in that frame (0-based, in decode order): cut the frames where the person is not on screen, or film with the face fully visible and well lit.',
  ),
  avatarNoAudio: entry(
    6007,
    400,
    '{modelId} {fileName} has no audio track, video_summary or audio_summary not exit',
    'The filmed video must have an audio track of the person speaking: export it again with its sound.',
  ),
  voiceHumanLabel: entry(
    6008,
    400,
    'task is failed in stage: label',
    'Manual labelling is not supported: set humanLabel to false.',
  ),

  // Live streaming (ours).
  liveSessionNotFound: entry(
    9001,
    404,
    'live session {sessionId} not found',
    'Check the sessionId from live/channel/create; running/list shows the sessions still running.',
  ),
  liveSessionEnded: entry(
    9002,
    409,
    'live session {sessionId} has ended ({reason})',
    'Create a new session: an ended one cannot take text or viewers again.',
  ),
  liveServerFull: entry(
    9003,
    503,
    'this server already runs {max} live sessions, its limit (a script whose scenes differ in look counts as two)',
    'Close a session you no longer need, or try again when one ends; running sessions are never slowed to make room.',
  ),
  liveAppLimit: entry(
    9004,
    429,
    'this app already runs {max} live sessions, its limit',
    'Close one of your running sessions (live/channel/close) first.',
  ),
  liveOutputInvalid: entry(
    9005,
    400,
    '{problem}',
    'Give the ingest address of your live platform: rtmp://host[:port]/app/streamKey (or rtmps://).',
  ),
  liveViewerRefused: entry(
    9006,
    400,
    'the WebRTC offer cannot be played: {problem}',
    'Offer to receive H.264 (packetization-mode 1) video and Opus audio, as browsers do by default.',
  ),
  liveNotReady: entry(
    9007,
    409,
    'live session {sessionId} is still starting',
    'Wait until its status is 35 (stream ready): poll live/channel/query or listen on the session socket.',
  ),
  liveInstanceUnreachable: entry(
    9008,
    503,
    'the instance running live session {sessionId} is not answering',
    'Retry in a few seconds. If that instance stopped, the session is ended within ANIMA_LIVE_ORPHAN_SECONDS (status 37, with its callback): then create a new one.',
  ),
  liveNoInstance: entry(
    9009,
    503,
    'no instance can start a live session now: {problem}',
    'Retry in a few seconds; if it lasts, the operator should check that a worker (anima serve --role worker) is running and reaches Redis and the database.',
  ),
} satisfies Record<string, CatalogEntry>);

export type ErrorKey = keyof typeof errorCatalog;

/** Fills `{name}` placeholders; a missing param stays visible rather than silently vanishing. */
export function formatMessage(template: string, params: Readonly<Record<string, unknown>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}
