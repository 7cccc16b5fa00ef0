import type { AppError } from '../errors/app-error.js';
import { unexpectedError } from '../errors/unexpected.js';
import { isAbortError } from '../media/process.runner.js';
import { durationMs, toWav } from '../media/pcm.js';
import type { AsrService, AsrSlot, Recognition } from './asr.service.js';
import {
  asrEof,
  asrFinal,
  asrPartial,
  checkAudioFrame,
  describeRefusal,
  isStarterAttempt,
  messageKind,
  parseMessage,
  parseSpeak,
  parseStarter,
  pcmAudio,
  protocolError,
  requestTag,
  refusalOf,
  sentenceTimes,
  starterAccepted,
  streamError,
  subtitleAnswer,
  ttsEof,
  wavAudio,
  withoutAsr,
  withoutTts,
  type AsrSettings,
  type FrameLimits,
  type Json,
  type SpeakRequest,
  type TtsSettings,
} from './stream.wire.js';
import { buildCues, renderSrt, renderWebVtt } from './subtitles.js';
import {
  wordsWithSentenceEnds,
  type SpeechPlan,
  type TimedSentence,
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

export interface StreamLimits extends FrameLimits {
  readonly starterTimeoutMs: number;
  readonly idleTimeoutMs: number;
}

const partialIntervalMs = 200;

/**
 * One streaming voice socket (docs/contract.md, "Streaming voice WebSocket"): a Starter, then TTS
 * requests answered with audio, timestamps and eof, and/or ASR audio answered after the client's
 * eof with exactly one final result and one eof. The messages themselves are stream.wire's; this
 * is the state between them (started or not, the slot held, the requests in flight, the clocks).
 * Transport-free, so the rules are tested directly.
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
    try {
      const message = parseMessage(raw);
      if (!this.started) {
        if (isStarterAttempt(message)) return this.tryStart(message);
        throw protocolError(this.noStarter('this message'));
      }
      const kind = messageKind(message);
      if (kind === 'eof') return this.finishRecognition();
      if (kind === 'speak') return this.speak(message);
      throw refusalOf(kind);
    } catch (error) {
      this.reply(streamError(asAppError(error)));
    }
  }

  onBinary(data: Buffer): void {
    this.touch();
    try {
      if (!this.started) throw protocolError(this.noStarter('audio'));
      if (!this.asr) throw protocolError(withoutAsr);
      checkAudioFrame(data, this.recognizedBytes, this.limits);
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
    const { tts, asr } = parseStarter(message, this.appId);
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
    this.reply(starterAccepted(plan?.voice.id, plan?.warning));
  }

  private startRecognition(language: string): Recognition {
    if (!this.slot) throw protocolError('this socket was started without ASR');
    return this.slot.start(language);
  }

  private speak(message: Json): void {
    const settings = this.tts;
    if (!settings) throw protocolError(withoutTts);
    // Validated now, answered in order: a refused request does not wait behind earlier ones, and
    // its refusal carries its id.
    let plan: SpeechPlan;
    let tag: SpeakRequest['tag'];
    try {
      const request = parseSpeak(message);
      tag = request.tag;
      plan = this.services.tts.plan({
        ...settings.request,
        text: request.text,
        ssml: request.ssml,
      });
    } catch (error) {
      return this.reply(streamError(asAppError(error), requestTag(message)));
    }
    this.busy++;
    this.ttsQueue = this.ttsQueue.then(async () => {
      try {
        await this.answerSpeech(plan, settings, tag);
      } catch (error) {
        if (!isAbortError(error)) this.reply(streamError(asAppError(error), tag));
      } finally {
        this.busy--;
        this.touch();
      }
    });
  }

  /** One TTS request's answers: audio and times sentence by sentence, then wav, subtitle, eof. */
  private async answerSpeech(
    plan: SpeechPlan,
    settings: TtsSettings,
    tag: SpeakRequest['tag'],
  ): Promise<void> {
    const whole: Buffer[] = [];
    const sentences: TimedSentence[] = [];
    for await (const piece of this.services.tts.stream(plan, this.abort.signal)) {
      if (settings.format === 'pcm') pcmAudio(piece.pcm, tag).forEach((m) => this.reply(m));
      else whole.push(piece.pcm);
      const sentence = piece.sentence;
      if (!sentence) continue;
      sentences.push(sentence);
      const times = sentenceTimes(sentence, settings, tag);
      if (times) this.reply(times);
      await this.drain();
    }
    if (settings.format === 'wav') {
      const pcm = Buffer.concat(whole);
      this.reply(wavAudio(toWav(pcm, plan.sampleRate), durationMs(pcm, plan.sampleRate), tag));
    }
    if (settings.subtitle) {
      const cues = buildCues(wordsWithSentenceEnds(sentences));
      const data = settings.subtitle === 'srt' ? renderSrt(cues) : renderWebVtt(cues);
      this.reply(subtitleAnswer(settings.subtitle, data, tag));
    }
    this.reply(ttsEof(tag));
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
        this.reply(asrPartial(text));
      },
      () => undefined,
    );
  }

  private finishRecognition(): void {
    const settings = this.asr;
    if (!settings) throw protocolError(withoutAsr);
    const recognition = this.recognition ?? this.startRecognition(settings.language);
    this.recognition = undefined;
    this.recognizedBytes = 0;
    this.lastPartial = '';
    this.busy++;
    recognition
      .finish()
      .then(
        (result) => {
          this.reply(asrFinal(result, settings.wordTime));
          this.reply(asrEof());
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
