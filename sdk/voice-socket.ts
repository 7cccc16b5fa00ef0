/**
 * A client for the streaming voice WebSocket, written the way clients of the hosted service use
 * it: a Starter, then TTS requests (audio, timestamps, eof) or ASR audio ended by {signal: "eof"}.
 * The tests and the speech benchmark use it.
 */
import WebSocket from 'ws';

export interface VoiceMessage {
  readonly status: string;
  /** The Starter's answer on a TTS socket: the voice that speaks, and why when it is not the one asked for. */
  readonly voice?: string;
  readonly warning?: string;
  readonly code?: number;
  readonly message?: string;
  readonly fix?: string;
  readonly detail?: ReadonlyArray<{ field: string; problem: string }>;
  readonly tts?: {
    readonly type: 'audio' | 'timestamp' | 'eof' | 'subtitle';
    readonly id?: unknown;
    readonly audio_data?: string;
    readonly sentence_time?: { text?: string; begin_ms: number; end_ms: number };
    readonly word_times?: ReadonlyArray<{ text: string; begin_ms: number; end_ms: number }>;
    readonly data?: string;
  };
  readonly asr?: {
    readonly type: 'final' | 'partial' | 'eof';
    readonly text?: string;
    readonly word_times?: ReadonlyArray<{ text: string; begin_ms: number; end_ms: number }>;
  };
}

export interface SpokenText {
  readonly audio: Buffer;
  readonly messages: readonly VoiceMessage[];
  /** Milliseconds from sending the text to the first audio message. */
  readonly firstAudioMs: number;
}

export class VoiceSocket {
  private readonly inbox: VoiceMessage[] = [];
  private readonly waiters: Array<(message: VoiceMessage | undefined) => void> = [];
  private closeInfo: { code: number; reason: string } | undefined;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString('utf8')) as VoiceMessage;
      const waiter = this.waiters.shift();
      if (waiter) waiter(message);
      else this.inbox.push(message);
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString('utf8') };
        for (const waiter of this.waiters.splice(0)) waiter(undefined);
        resolve(this.closeInfo);
      });
    });
  }

  /** Opens a socket; the token goes in the Authorization header unless `tokenInUrl`. */
  static async open(
    baseUrl: string,
    token: string,
    options: { path?: string; tokenInUrl?: boolean } = {},
  ): Promise<VoiceSocket> {
    const base = baseUrl.replace(/^http/, 'ws');
    const route = options.path ?? '/api/voice/stream/v1';
    const url = options.tokenInUrl
      ? `${base}${route}?Authorization=${encodeURIComponent(`Bearer ${token}`)}`
      : `${base}${route}`;
    const socket = new WebSocket(
      url,
      options.tokenInUrl ? {} : { headers: { authorization: `Bearer ${token}` } },
    );
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.on('error', reject);
      socket.once('unexpected-response', (request, response) => {
        // With this listener ws leaves the refused request open: close it, or it holds the process.
        request.destroy();
        reject(new Error(`voice socket refused: HTTP ${response.statusCode ?? 0}`));
      });
    });
    return new VoiceSocket(socket);
  }

  send(message: object): void {
    this.socket.send(JSON.stringify(message));
  }

  sendAudio(pcm: Buffer): void {
    this.socket.send(pcm, { binary: true });
  }

  /** The next message, or undefined if the socket closes first or `timeoutMs` passes. */
  next(timeoutMs = 30_000): Promise<VoiceMessage | undefined> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closeInfo) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        resolve(undefined);
      }, timeoutMs);
      const waiter = (message: VoiceMessage | undefined) => {
        clearTimeout(timer);
        resolve(message);
      };
      this.waiters.push(waiter);
    });
  }

  /** Sends the Starter and returns its answer. */
  async start(starter: object): Promise<VoiceMessage | undefined> {
    this.send(starter);
    return this.next();
  }

  /** Sends one TTS request and collects everything up to its eof (or an error). */
  async speak(id: string, query: string, ssml = false): Promise<SpokenText> {
    const sent = performance.now();
    this.send({ id, query, ssml });
    const messages: VoiceMessage[] = [];
    const audio: Buffer[] = [];
    let firstAudioMs = -1;
    for (;;) {
      const message = await this.next();
      if (!message) throw new Error('the socket closed before the eof');
      messages.push(message);
      if (message.status !== 'ok') break;
      if (message.tts?.type === 'audio' && message.tts.audio_data !== undefined) {
        if (firstAudioMs < 0) firstAudioMs = performance.now() - sent;
        audio.push(Buffer.from(message.tts.audio_data, 'base64'));
      }
      if (message.tts?.type === 'eof') break;
    }
    return { audio: Buffer.concat(audio), messages, firstAudioMs };
  }

  /** Sends audio in 40 ms chunks and the eof, as public clients do, then reads what comes back. */
  async recognize(pcm: Buffer, chunkBytes = 1280): Promise<VoiceMessage[]> {
    for (let at = 0; at < pcm.length; at += chunkBytes)
      this.sendAudio(pcm.subarray(at, at + chunkBytes));
    this.send({ signal: 'eof', trace: 'anima-client' });
    const answers: VoiceMessage[] = [];
    for (;;) {
      const message = await this.next();
      if (!message) break;
      answers.push(message);
      if (message.status !== 'ok' || message.asr?.type === 'eof') break;
    }
    return answers;
  }

  close(): void {
    this.socket.close();
  }
}
