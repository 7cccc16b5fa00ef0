/**
 * The streaming voice socket's wire protocol (docs/contract.md, "Streaming voice WebSocket"):
 * client messages read into typed values, refused in the catalog's terms, and the answers the
 * protocol sends, built as plain objects. Pure: no socket, no timers, no engines, so every rule of
 * the format is tested directly; the session decides what happens when.
 */
import { AppError, badParams, type FieldProblem } from '../errors/app-error.js';
import type { RecognitionResult } from '../engines/asr/asr.types.js';
import type { WordTiming } from '../engines/tts/tts.types.js';
import type { TimedSentence, TtsRequest } from './tts.service.js';

export type Json = Record<string, unknown>;

/** What a Starter sets for the socket's TTS requests. */
export interface TtsSettings {
  readonly format: 'pcm' | 'wav';
  /** Everything of a TTS request but its text, from the Starter. */
  readonly request: Omit<TtsRequest, 'text' | 'ssml'>;
  readonly sentenceTime: boolean;
  readonly wordTime: boolean;
  readonly subtitle: 'srt' | 'vtt' | undefined;
}

/** What a Starter sets for the socket's recognition. */
export interface AsrSettings {
  readonly language: string;
  readonly wordTime: boolean;
  readonly partial: boolean;
}

/** An accepted Starter: TTS, ASR or both. */
export interface Starter {
  readonly tts: TtsSettings | undefined;
  readonly asr: AsrSettings | undefined;
}

/** A TTS request: its text, and the id its answers carry (any JSON value, echoed as sent). */
export interface SpeakRequest {
  readonly text: string;
  readonly ssml: boolean;
  readonly tag: { readonly id?: unknown };
}

/** What a message after the Starter asks for, in the order the protocol tells them apart. */
export type MessageKind = 'eof' | 'speak' | 'starter' | 'unknown';

const starterTypes = new Set(['TTS', 'TTS3', 'ASR5', 'TTS3+ASR5']);
/** PCM is sent in pieces of at most this many bytes (one second at 16 kHz). */
export const audioChunkBytes = 32000;
/** Recognised audio: 16 kHz 16-bit mono, so this many bytes a second. */
const asrBytesPerSecond = 32000;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function protocolError(reason: string): AppError {
  return new AppError('voiceStreamProtocol', { reason });
}

/** The protocol's error shape: any status but "ok", with the catalog's code, message and fix. */
export function streamError(error: AppError, extra: Json = {}): Json {
  return {
    status: 'failed',
    code: error.code,
    message: error.message,
    fix: error.fix,
    ...(error.detail ? { detail: error.detail } : {}),
    ...extra,
  };
}

/** A refusal in a few words: its code, and its fields' problems or its message. */
export function describeRefusal(error: AppError): string {
  const problems = error.detail?.map((problem) => `${problem.field} ${problem.problem}`);
  return `${error.code} ${problems?.length ? problems.join('; ') : error.message}`;
}

/** A text frame as a JSON object, or the protocol error that says what it is instead. */
export function parseMessage(raw: string): Json {
  let message: unknown;
  try {
    message = JSON.parse(raw);
  } catch {
    throw protocolError('a text message must be JSON');
  }
  if (!isObject(message)) throw protocolError('a message must be a JSON object');
  return message;
}

/** Before a Starter is accepted, any message with a type is taken as one. */
export function isStarterAttempt(message: Json): boolean {
  return 'type' in message;
}

/** What a message after the accepted Starter asks for: eof first, then a TTS request. */
export function messageKind(message: Json): MessageKind {
  if (message.signal === 'eof') return 'eof';
  if ('query' in message || 'text' in message) return 'speak';
  if (typeof message.type === 'string' && starterTypes.has(message.type)) return 'starter';
  return 'unknown';
}

export const withoutTts = 'this socket was started without TTS: send a Starter with type TTS3';
export const withoutAsr = 'this socket was started without ASR: send a Starter with type ASR5';

/** Why a message of `kind` cannot be answered on a started socket. */
export function refusalOf(kind: 'starter' | 'unknown'): AppError {
  return kind === 'starter'
    ? protocolError('the Starter was already accepted on this socket')
    : protocolError('unknown message: expected {id, query} for TTS or {signal: "eof"} for ASR');
}

function optionalString(section: Json, field: string, problems: FieldProblem[], prefix: string) {
  const value = section[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    problems.push({ field: `${prefix}.${field}`, problem: 'must be a string' });
  return typeof value === 'string' ? value : undefined;
}

function optionalNumber(section: Json, field: string, problems: FieldProblem[], prefix: string) {
  const value = section[field];
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number)) {
    problems.push({ field: `${prefix}.${field}`, problem: 'must be a number' });
    return undefined;
  }
  return number;
}

function flag(section: Json, field: string): boolean {
  const value = section[field];
  return value === true || value === 'true' || value === 1;
}

/**
 * A Starter's settings, every field problem reported at once (3333). The voice, language and rate
 * are only read here: whether the engines know them is the session's question.
 */
export function parseStarter(message: Json, appId?: string): Starter {
  const type = typeof message.type === 'string' ? message.type : '';
  if (!starterTypes.has(type)) {
    throw badParams([{ field: 'type', problem: 'must be TTS3, ASR5, TTS3+ASR5 or TTS' }]);
  }
  const problems: FieldProblem[] = [];
  const section = (value: unknown) => (isObject(value) ? value : {});
  const tts = type.startsWith('TTS')
    ? ttsSettings(section(message.tts), problems, appId)
    : undefined;
  const asr = type.endsWith('ASR5') ? asrSettings(section(message.asr), problems) : undefined;
  if (problems.length > 0) throw badParams(problems);
  return { tts, asr };
}

function ttsSettings(section: Json, problems: FieldProblem[], appId?: string): TtsSettings {
  const format = optionalString(section, 'format', problems, 'tts') ?? 'pcm';
  if (format !== 'pcm' && format !== 'wav')
    problems.push({ field: 'tts.format', problem: 'must be pcm or wav' });
  const subtitle = optionalString(section, 'subtitle', problems, 'tts');
  if (subtitle !== undefined && subtitle !== '' && subtitle !== 'srt' && subtitle !== 'vtt') {
    problems.push({ field: 'tts.subtitle', problem: 'must be srt or vtt' });
  }
  const qid = optionalString(section, 'qid', problems, 'tts');
  const language = optionalString(section, 'language', problems, 'tts');
  const speedRatio = optionalNumber(section, 'speed_ratio', problems, 'tts');
  const pitchOffset = optionalNumber(section, 'pitch_offset', problems, 'tts');
  const volume = optionalNumber(section, 'volume', problems, 'tts');
  const request: Omit<TtsRequest, 'text' | 'ssml'> = {
    ...(qid ? { voice: qid } : {}),
    ...(appId ? { appId } : {}),
    ...(language ? { language } : {}),
    ...(speedRatio !== undefined ? { speedRatio } : {}),
    ...(pitchOffset !== undefined ? { pitchOffset } : {}),
    ...(volume !== undefined ? { volume } : {}),
    sampleRate: optionalNumber(section, 'sample_rate', problems, 'tts') ?? 16000,
  };
  return {
    format: format === 'wav' ? 'wav' : 'pcm',
    request,
    sentenceTime: flag(section, 'sentence_time'),
    wordTime: flag(section, 'word_time'),
    subtitle: subtitle === 'srt' || subtitle === 'vtt' ? subtitle : undefined,
  };
}

function asrSettings(section: Json, problems: FieldProblem[]): AsrSettings {
  const language = optionalString(section, 'language', problems, 'asr') ?? 'en-US';
  const sampleRate = optionalNumber(section, 'sample_rate', problems, 'asr');
  if (sampleRate !== undefined && sampleRate !== 16000) {
    problems.push({
      field: 'asr.sample_rate',
      problem: 'must be 16000 (16 kHz 16-bit mono PCM)',
    });
  }
  return { language, wordTime: flag(section, 'word_time'), partial: flag(section, 'partial') };
}

/** A TTS request's text ("query", or "text") and its id; 3333 when there is no text. */
/** A request's `id`, as its answers carry it (refusals too, so a client can tell which failed). */
export function requestTag(message: Json): SpeakRequest['tag'] {
  return message.id === undefined ? {} : { id: message.id };
}

export function parseSpeak(message: Json): SpeakRequest {
  const text =
    typeof message.query === 'string'
      ? message.query
      : typeof message.text === 'string'
        ? message.text
        : undefined;
  if (text === undefined) throw badParams([{ field: 'query', problem: 'must be a string' }]);
  return {
    text,
    ssml: flag(message, 'ssml'),
    tag: requestTag(message),
  };
}

export interface FrameLimits {
  /** Largest binary frame accepted (audio is sent in 40 ms chunks of 1280 bytes). */
  readonly maxFrameBytes: number;
  readonly asrMaxSeconds: number;
}

/**
 * Checks one binary frame of recognition audio, given the bytes of the utterance so far: its
 * size, that it is raw PCM (not a WAV file, an even byte count), and the utterance's length.
 */
export function checkAudioFrame(data: Buffer, heardBytes: number, limits: FrameLimits): void {
  if (data.length > limits.maxFrameBytes) {
    throw protocolError(
      `an audio frame of ${data.length} bytes is too large: send 16 kHz 16-bit mono PCM in 1280-byte (40 ms) chunks`,
    );
  }
  if (heardBytes === 0 && data.subarray(0, 4).toString('latin1') === 'RIFF') {
    throw new AppError('asrAudioFormat', { got: 'a WAV file' });
  }
  if (data.length % 2 !== 0)
    throw new AppError('asrAudioFormat', { got: `${data.length} bytes, an odd count` });
  if (heardBytes + data.length > limits.asrMaxSeconds * asrBytesPerSecond) {
    throw protocolError(
      `one utterance may hold at most ${limits.asrMaxSeconds} s of audio: send {signal: "eof"}`,
    );
  }
}

/** Word times as the protocol writes them. */
function wireWords(words: readonly WordTiming[]) {
  return words.map((word) => ({ text: word.text, begin_ms: word.beginMs, end_ms: word.endMs }));
}

/** The answer to an accepted Starter: the voice that speaks, and why when not the one asked. */
export function starterAccepted(voice?: string, warning?: string): Json {
  return {
    status: 'ok',
    ...(voice !== undefined ? { voice } : {}),
    ...(warning ? { warning } : {}),
  };
}

function ttsAnswer(tts: Json, tag: SpeakRequest['tag']): Json {
  return { status: 'ok', tts: { ...tts, ...tag } };
}

/** Raw PCM as audio messages of at most `audioChunkBytes` each. */
export function pcmAudio(pcm: Buffer, tag: SpeakRequest['tag']): Json[] {
  const messages: Json[] = [];
  for (let at = 0; at < pcm.length; at += audioChunkBytes) {
    const chunk = pcm.subarray(at, at + audioChunkBytes);
    messages.push(ttsAnswer({ type: 'audio', audio_data: chunk.toString('base64') }, tag));
  }
  return messages;
}

/** The whole answer as one WAV file, with its length. */
export function wavAudio(wav: Buffer, durationMs: number, tag: SpeakRequest['tag']): Json {
  return ttsAnswer(
    { type: 'audio', audio_data: wav.toString('base64'), duration_ms: durationMs },
    tag,
  );
}

/** A sentence's times, as the Starter asked for them; undefined when it asked for none. */
export function sentenceTimes(
  sentence: TimedSentence,
  settings: Pick<TtsSettings, 'sentenceTime' | 'wordTime'>,
  tag: SpeakRequest['tag'],
): Json | undefined {
  if (!settings.sentenceTime && !settings.wordTime) return undefined;
  const { text, beginMs, endMs } = sentence;
  return ttsAnswer(
    {
      type: 'timestamp',
      ...(settings.sentenceTime
        ? { sentence_time: { text, begin_ms: beginMs, end_ms: endMs } }
        : {}),
      ...(settings.wordTime ? { word_times: wireWords(sentence.words) } : {}),
    },
    tag,
  );
}

export function subtitleAnswer(
  format: 'srt' | 'vtt',
  data: string,
  tag: SpeakRequest['tag'],
): Json {
  return ttsAnswer({ type: 'subtitle', format, data }, tag);
}

/** The end of one TTS request's answers. */
export function ttsEof(tag: SpeakRequest['tag']): Json {
  return ttsAnswer({ type: 'eof' }, tag);
}

export function asrPartial(text: string): Json {
  return { status: 'ok', asr: { type: 'partial', text } };
}

/** The one final result of an utterance, with word times when the Starter asked for them. */
export function asrFinal(result: RecognitionResult, wordTime: boolean): Json {
  const words = wordTime ? { word_times: wireWords(result.words) } : {};
  return { status: 'ok', asr: { type: 'final', text: result.text, ...words } };
}

export function asrEof(): Json {
  return { status: 'ok', asr: { type: 'eof' } };
}
