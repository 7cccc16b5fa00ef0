/**
 * The one thread that owns libespeak-ng: it is not thread-safe and each call blocks, so the
 * server's event loop hands it requests by message and stays free.
 */
import { parentPort } from 'node:worker_threads';
import { phonemizeEspeak, synthesizeEspeak } from './espeak.synth.js';

export type EspeakRequest =
  | {
      readonly id: number;
      readonly op: 'synthesize';
      readonly text: string;
      readonly voice: string;
      readonly rate: number;
    }
  | {
      readonly id: number;
      readonly op: 'phonemize';
      readonly text: string;
      readonly voice: string;
    };

parentPort?.on('message', (request: EspeakRequest) => {
  try {
    if (request.op === 'phonemize') {
      parentPort?.postMessage({
        id: request.id,
        phonemes: phonemizeEspeak(request.text, request.voice),
      });
      return;
    }
    const result = synthesizeEspeak(request.text, request.voice, request.rate);
    // Buffer.concat may hand out a slice of a shared pool: copy into a buffer of its own to transfer.
    const pcm = new Uint8Array(result.pcm);
    parentPort?.postMessage({ id: request.id, result: { ...result, pcm } }, [pcm.buffer]);
  } catch (error) {
    parentPort?.postMessage({
      id: request.id,
      error: error instanceof Error ? error.message : String(error),
    });
  }
});
