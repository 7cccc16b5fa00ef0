import type { RawData } from 'ws';
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
            close: (code, reason) => socket.close(code, reason),
            bufferedAmount: () => socket.bufferedAmount,
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
