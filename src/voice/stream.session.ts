import { AppError, badParams, type FieldProblem } from '../errors/app-error.js';
import { unexpectedError } from '../errors/unexpected.js';
import { isAbortError } from '../media/process.runner.js';
import { durationMs, toWav } from '../media/pcm.js';
import type { WordTiming } from '../engines/tts/tts.types.js';
import type { AsrService, AsrSlot, Recognition } from './asr.service.js';
import { buildCues, renderSrt, renderWebVtt } from './subtitles.js';
import {
  wordsWithSentenceEnds,
  type TimedSentence,
  type TtsRequest,
  type TtsService,
} from './tts.service.js';

/** What the session needs from a WebSocket. */
export interface StreamTransport {
  send(message: object): void;
  close(code: number, reason: string): void;
  /** Bytes queued and not yet written: audio waits while the client reads slowly. */
  bufferedAmount(): number;
  /** Where the session's warnings go (the server log). */
  warn?(message: string, fields: object): void;
}

export interface StreamLimits {
  readonly starterTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly asrMaxSeconds: number;
  /** Largest binary frame accepted (audio is sent in 40 ms chunks of 1280 bytes). */
  readonly maxFrameBytes: number;
}

interface TtsSettings {
  readonly format: 'pcm' | 'wav';
  /** Everything of a TTS request but its text, from the Starter. */
  readonly request: Omit<TtsRequest, 'text' | 'ssml'>;
  readonly sentenceTime: boolean;
  readonly wordTime: boolean;
  readonly subtitle: 'srt' | 'vtt' | undefined;
}

interface AsrSettings {
  readonly language: string;
  readonly wordTime: boolean;
  readonly partial: boolean;
}

const starterTypes = new Set(['TTS', 'TTS3', 'ASR5', 'TTS3+ASR5']);
/** PCM is sent in pieces of at most this many bytes (one second at 16 kHz). */
const audioChunkBytes = 32000;
const partialIntervalMs = 200;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Word times as the protocol writes them. */
function wireWords(words: readonly WordTiming[]) {
  return words.map((word) => ({ text: word.text, begin_ms: word.beginMs, end_ms: word.endMs }));
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

function protocolError(reason: string): AppError {
  return new AppError('voiceStreamProtocol', { reason });
}

/** A refusal in a few words: its code, and its fields' problems or its message. */
function describeRefusal(error: AppError): string {
  const problems = error.detail?.map((problem) => `${problem.field} ${problem.problem}`);
  return `${error.code} ${problems?.length ? problems.join('; ') : error.message}`;
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
 * One streaming voice socket (docs/contract.md, "Streaming voice WebSocket"): a Starter, then TTS
 * requests answered with audio, timestamps and eof, and/or ASR audio answered after the client's
 * eof with exactly one final result and one eof. Transport-free, so the rules are tested directly.
 */
export class VoiceStreamSession {
  private tts: TtsSettings | undefined;
  private asr: AsrSettings | undefined;
  private started = false;
  /** Why the last Starter was refused, while none has been accepted. */
  private refusal: AppError | undefined;
  /** The live recognition slot an ASR socket holds from its Starter to its close. */
  private slot: AsrSlot | undefined;
  private closed = false;
  private readonly abort = new AbortController();
  /** TTS requests run one after another, in the order they came. */
  private ttsQueue: Promise<void> = Promise.resolve();
  private busy = 0;
  private recognition: Recognition | undefined;
  private recognizedBytes = 0;
  private lastPartial = '';
  private lastPartialAt = 0;
  private starterTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly transport: StreamTransport,
    private readonly services: { readonly tts: TtsService; readonly asr: AsrService },
    private readonly limits: StreamLimits,
    /** The app on the socket: its personal voices can be named by qid. */
    private readonly appId?: string,
  ) {
    this.starterTimer = setTimeout(() => {
      const within = `within ${limits.starterTimeoutMs / 1000} s`;
      const refused = this.refusal && ` (it was refused: ${describeRefusal(this.refusal)})`;
      this.shut(
        1008,
        refused ? `no Starter accepted ${within}${refused}` : `no Starter message ${within}`,
      );
    }, limits.starterTimeoutMs);
    this.touch();
  }

  /** Any sign of life from the client (a message or a ping) restarts the idle clock. */
  touch(): void {
    if (this.closed) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.busy > 0) return this.touch();
      this.shut(1000, `idle for ${this.limits.idleTimeoutMs / 1000} s`);
    }, this.limits.idleTimeoutMs);
  }

  onText(raw: string): void {
    this.touch();
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch {
      return this.reply(streamError(protocolError('a text message must be JSON')));
    }
    if (!isObject(message))
      return this.reply(streamError(protocolError('a message must be a JSON object')));
    try {
      if (!this.started) {
        if ('type' in message) return this.tryStart(message);
        throw protocolError(this.noStarter('this message'));
      }
      if (message.signal === 'eof') return this.finishRecognition();
      if ('query' in message || 'text' in message) return this.speak(message);
      if (typeof message.type === 'string' && starterTypes.has(message.type)) {
        throw protocolError('the Starter was already accepted on this socket');
      }
      throw protocolError(
        'unknown message: expected {id, query} for TTS or {signal: "eof"} for ASR',
      );
    } catch (error) {
      this.reply(streamError(asAppError(error)));
    }
  }

  onBinary(data: Buffer): void {
    this.touch();
    try {
      if (!this.started) throw protocolError(this.noStarter('audio'));
      if (!this.asr)
        throw protocolError('this socket was started without ASR: send a Starter with type ASR5');
      if (data.length > this.limits.maxFrameBytes) {
        throw protocolError(
          `an audio frame of ${data.length} bytes is too large: send 16 kHz 16-bit mono PCM in 1280-byte (40 ms) chunks`,
        );
      }
      if (this.recognizedBytes === 0 && data.subarray(0, 4).toString('latin1') === 'RIFF') {
        throw new AppError('asrAudioFormat', { got: 'a WAV file' });
      }
      if (data.length % 2 !== 0)
        throw new AppError('asrAudioFormat', { got: `${data.length} bytes, an odd count` });
      const maxBytes = this.limits.asrMaxSeconds * 32000;
      if (this.recognizedBytes + data.length > maxBytes) {
        throw protocolError(
          `one utterance may hold at most ${this.limits.asrMaxSeconds} s of audio: send {signal: "eof"}`,
        );
      }
      this.recognition ??= this.startRecognition(this.asr.language);
      this.recognizedBytes += data.length;
      this.recognition.write(data);
      if (this.asr.partial) this.sendPartial(this.recognition);
    } catch (error) {
      this.reply(streamError(asAppError(error)));
    }
  }

  /** The client went away: stop whatever runs for it. */
  onClose(): void {
    this.closed = true;
    clearTimeout(this.starterTimer);
    clearTimeout(this.idleTimer);
    this.abort.abort();
    this.recognition?.abort();
    this.recognition = undefined;
    this.slot?.release();
    this.slot = undefined;
  }

  /** Why a message other than a Starter cannot be answered yet. */
  private noStarter(what: string): string {
    const reason = this.refusal
      ? `the Starter was refused (${describeRefusal(this.refusal)}); send a corrected Starter first`
      : 'send the Starter {type: "TTS3" | "ASR5" | "TTS3+ASR5", ...} first';
    return `${what} arrived, but this socket has no accepted Starter: ${reason}`;
  }

  private tryStart(message: Json): void {
    try {
      this.start(message);
      this.refusal = undefined;
    } catch (error) {
      this.refusal = asAppError(error);
      throw error;
    }
  }

  private start(message: Json): void {
    const type = typeof message.type === 'string' ? message.type : '';
    if (!starterTypes.has(type)) {
      throw badParams([{ field: 'type', problem: 'must be TTS3, ASR5, TTS3+ASR5 or TTS' }]);
    }
    const problems: FieldProblem[] = [];
    const wantsTts = type.startsWith('TTS');
    const wantsAsr = type.endsWith('ASR5');
    const tts = wantsTts
      ? this.ttsSettings(isObject(message.tts) ? message.tts : {}, problems)
      : undefined;
    const asr = wantsAsr
      ? this.asrSettings(isObject(message.asr) ? message.asr : {}, problems)
      : undefined;
    if (problems.length > 0) throw badParams(problems);
    // Refuse an unknown voice or language, or a bad rate, now rather than at the first sentence.
    const plan = tts ? this.services.tts.plan({ ...tts.request, text: 'ok' }) : undefined;
    if (asr) this.services.asr.checkLanguage(asr.language);
    // Last, so that nothing refused after it leaves a slot held.
    this.slot = asr ? this.services.asr.reserve(asr.language) : undefined;
    this.tts = tts && plan ? { ...tts, request: { ...tts.request, voice: plan.voice.id } } : tts;
    this.asr = asr;
    this.started = true;
    clearTimeout(this.starterTimer);
    if (plan?.warning) this.transport.warn?.(plan.warning, { asked: tts?.request.voice });
    this.reply({
      status: 'ok',
      ...(plan ? { voice: plan.voice.id } : {}),
      ...(plan?.warning ? { warning: plan.warning } : {}),
    });
  }

  private startRecognition(language: string): Recognition {
    if (!this.slot) throw protocolError('this socket was started without ASR');
    return this.slot.start(language);
  }

  private ttsSettings(section: Json, problems: FieldProblem[]): TtsSettings {
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
      ...(this.appId ? { appId: this.appId } : {}),
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

  private asrSettings(section: Json, problems: FieldProblem[]): AsrSettings {
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

  private speak(message: Json): void {
    const settings = this.tts;
    if (!settings)
      throw protocolError('this socket was started without TTS: send a Starter with type TTS3');
    const text =
      typeof message.query === 'string'
        ? message.query
        : typeof message.text === 'string'
          ? message.text
          : undefined;
    if (text === undefined) throw badParams([{ field: 'query', problem: 'must be a string' }]);
    // Validated now, answered in order: a refused request does not wait behind earlier ones.
    const plan = this.services.tts.plan({ ...settings.request, text, ssml: flag(message, 'ssml') });
    const tag = message.id === undefined ? {} : { id: message.id };
    this.busy++;
    this.ttsQueue = this.ttsQueue.then(async () => {
      try {
        const whole: Buffer[] = [];
        const sentences: TimedSentence[] = [];
        for await (const piece of this.services.tts.stream(plan, this.abort.signal)) {
          if (settings.format === 'pcm') {
            for (let at = 0; at < piece.pcm.length; at += audioChunkBytes) {
              const chunk = piece.pcm.subarray(at, at + audioChunkBytes);
              this.reply({
                status: 'ok',
                tts: { type: 'audio', audio_data: chunk.toString('base64'), ...tag },
              });
            }
          } else {
            whole.push(piece.pcm);
          }
          const sentence = piece.sentence;
          if (!sentence) continue;
          sentences.push(sentence);
          if (settings.sentenceTime || settings.wordTime) {
            this.reply({
              status: 'ok',
              tts: {
                type: 'timestamp',
                ...(settings.sentenceTime
                  ? {
                      sentence_time: {
                        text: sentence.text,
                        begin_ms: sentence.beginMs,
                        end_ms: sentence.endMs,
                      },
                    }
                  : {}),
                ...(settings.wordTime ? { word_times: wireWords(sentence.words) } : {}),
                ...tag,
              },
            });
          }
          await this.drain();
        }
        if (settings.format === 'wav') {
          const pcm = Buffer.concat(whole);
          this.reply({
            status: 'ok',
            tts: {
              type: 'audio',
              audio_data: toWav(pcm, plan.sampleRate).toString('base64'),
              duration_ms: durationMs(pcm, plan.sampleRate),
              ...tag,
            },
          });
        }
        if (settings.subtitle) {
          const cues = buildCues(wordsWithSentenceEnds(sentences));
          const data = settings.subtitle === 'srt' ? renderSrt(cues) : renderWebVtt(cues);
          this.reply({
            status: 'ok',
            tts: { type: 'subtitle', format: settings.subtitle, data, ...tag },
          });
        }
        this.reply({ status: 'ok', tts: { type: 'eof', ...tag } });
      } catch (error) {
        if (!isAbortError(error)) this.reply(streamError(asAppError(error), tag));
      } finally {
        this.busy--;
        this.touch();
      }
    });
  }

  /** Waits while the client is far behind in reading, so audio does not pile up in memory. */
  private async drain(): Promise<void> {
    while (!this.closed && this.transport.bufferedAmount() > 4 * 1024 * 1024) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private sendPartial(recognition: Recognition): void {
    const now = Date.now();
    if (now - this.lastPartialAt < partialIntervalMs) return;
    this.lastPartialAt = now;
    void recognition.partial().then(
      (text) => {
        if (text === this.lastPartial || this.recognition !== recognition || this.closed) return;
        this.lastPartial = text;
        this.reply({ status: 'ok', asr: { type: 'partial', text } });
      },
      () => undefined,
    );
  }

  private finishRecognition(): void {
    const settings = this.asr;
    if (!settings)
      throw protocolError('this socket was started without ASR: send a Starter with type ASR5');
    const recognition = this.recognition ?? this.startRecognition(settings.language);
    this.recognition = undefined;
    this.recognizedBytes = 0;
    this.lastPartial = '';
    this.busy++;
    recognition
      .finish()
      .then(
        (result) => {
          const words = settings.wordTime ? { word_times: wireWords(result.words) } : {};
          this.reply({ status: 'ok', asr: { type: 'final', text: result.text, ...words } });
          this.reply({ status: 'ok', asr: { type: 'eof' } });
        },
        (error: unknown) => {
          if (!isAbortError(error)) this.reply(streamError(asAppError(error)));
        },
      )
      .finally(() => {
        this.busy--;
        this.touch();
      });
  }

  private reply(message: Json): void {
    if (!this.closed) this.transport.send(message);
  }

  private shut(code: number, reason: string): void {
    if (this.closed) return;
    this.reply(streamError(protocolError(reason)));
    this.transport.close(code, reason);
    this.onClose();
  }
}

function asAppError(error: unknown): AppError {
  // The client reads it: a full disk is 5001, anything else 5000 without server paths.
  return unexpectedError(error);
}
