import type { FastifyRequest } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import type { Config } from '../../config/config.js';
import type { SpeechServices } from '../../voice/speech.js';
import { VoiceStreamSession } from '../../voice/stream.session.js';
import { ok } from '../envelope.js';
import type { Server } from '../types.js';

/** Keeps idle connections (and the proxies between) from dropping a quiet socket. */
const serverPingMs = 20_000;
/** Audio arrives in 40 ms chunks of 1280 bytes; a frame this big is a client bug. */
const maxAudioFrameBytes = 64 * 1024;

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * A close frame's reason holds at most 123 bytes (ws throws beyond): cut on a character boundary.
 * The whole reason has gone to the client in the error message before the close.
 */
function closeReason(reason: string): string {
  let cut = reason;
  while (Buffer.byteLength(cut) > 123) cut = cut.slice(0, -1);
  return cut;
}

/** Errors of a live socket that are the client's doing: protocol faults and dropped connections. */
function isClientFault(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return code.startsWith('WS_ERR_') || ['ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code);
}

/**
 * The WebSocket plugin's error handler: a client's fault (a frame over the size limit, bad
 * UTF-8, a dropped connection) is a warning with its code, not a server error with a stack trace;
 * anything else is still logged as an error. Either way the socket is closed.
 */
export function handleSocketError(error: Error, socket: WebSocket, request: FastifyRequest): void {
  if (isClientFault(error)) {
    request.log.warn(
      { code: (error as NodeJS.ErrnoException).code, reason: error.message, url: request.url },
      'socket closed: the client broke the WebSocket protocol or went away',
    );
  } else {
    request.log.error({ err: error }, 'socket failed');
  }
  socket.terminate();
}

export function registerVoiceRoutes(app: Server, speech: SpeechServices, config: Config): void {
  app.get(
    '/api/voice/v1/voices',
    {
      schema: {
        tags: ['voice'],
        summary: 'The voices TTS can speak with, and the languages speech recognition knows',
      },
    },
    (request) =>
      ok({
        voices: speech.tts.listVoices(request.appId).map((voice) => ({
          id: voice.id,
          name: voice.name,
          language: voice.language,
          gender: voice.gender,
          engine: voice.engine,
          default: voice.isDefault,
          personal: Boolean(voice.ownerAppId),
        })),
        asrLanguages: speech.asr.languages,
      }),
  );

  const limits = {
    starterTimeoutMs: config.voiceStarterTimeoutSeconds * 1000,
    idleTimeoutMs: config.voiceIdleTimeoutSeconds * 1000,
    asrMaxSeconds: config.asrMaxSeconds,
    maxFrameBytes: maxAudioFrameBytes,
  };
  for (const version of ['v1', 'v3']) {
    app.get(
      `/api/voice/stream/${version}`,
      {
        websocket: true,
        schema: {
          tags: ['voice'],
          summary:
            'Streaming TTS and speech recognition (WebSocket; token by header or ?Authorization=)',
        },
      },
      (socket, request) => {
        const session = new VoiceStreamSession(
          {
            send: (message) => socket.send(JSON.stringify(message)),
            close: (code, reason) => socket.close(code, closeReason(reason)),
            bufferedAmount: () => socket.bufferedAmount,
            warn: (message, fields) =>
              request.log.warn({ ...fields, appId: request.appId }, message),
          },
          speech,
          limits,
          request.appId,
        );
        const pinger = setInterval(() => socket.ping(), serverPingMs);
        socket.on('message', (data, isBinary) => {
          if (isBinary) session.onBinary(toBuffer(data));
          else session.onText(toBuffer(data).toString('utf8'));
        });
        socket.on('ping', () => session.touch());
        socket.on('error', () => socket.terminate());
        socket.on('close', () => {
          clearInterval(pinger);
          session.onClose();
        });
      },
    );
  }
}
