/**
 * The one thread that runs PocketSphinx: decoding blocks and a decoder is not thread-safe, so
 * the event loop posts audio here and stays free. Messages are handled in order, so each
 * stream's calls are serialised; decoders are pooled because loading one takes about 0.45 s.
 */
import { parentPort } from 'node:worker_threads';
import { SphinxAligner } from './pocketsphinx.lib.js';
import { SphinxRecognizer } from './pocketsphinx.recognizer.js';

export type SphinxRequest =
  | { readonly op: 'start'; readonly stream: number }
  | { readonly op: 'write'; readonly stream: number; readonly pcm: Uint8Array }
  | { readonly op: 'partial'; readonly id: number; readonly stream: number }
  | { readonly op: 'finish'; readonly id: number; readonly stream: number }
  | { readonly op: 'abort'; readonly stream: number }
  | {
      readonly op: 'align';
      readonly id: number;
      readonly pcm: Uint8Array;
      readonly transcript: string;
    };

const keptIdle = 2;
const idle: SphinxRecognizer[] = [new SphinxRecognizer()];
interface Stream {
  readonly decoder?: SphinxRecognizer;
  error?: string;
}
const streams = new Map<number, Stream>();
let aligner: SphinxAligner | undefined;

function release(stream: number): void {
  const entry = streams.get(stream);
  streams.delete(stream);
  if (!entry?.decoder) return;
  if (idle.length < keptIdle) idle.push(entry.decoder);
  else entry.decoder.free();
}

function reply(message: object): void {
  parentPort?.postMessage(message);
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

parentPort?.on('message', (request: SphinxRequest) => {
  switch (request.op) {
    case 'start': {
      let decoder: SphinxRecognizer | undefined;
      try {
        decoder = idle.pop() ?? new SphinxRecognizer();
        decoder.start();
        streams.set(request.stream, { decoder });
      } catch (error) {
        streams.set(request.stream, { ...(decoder ? { decoder } : {}), error: message(error) });
      }
      return;
    }
    case 'write': {
      const entry = streams.get(request.stream);
      if (!entry?.decoder || entry.error !== undefined) return;
      try {
        entry.decoder.write(request.pcm);
      } catch (error) {
        entry.error = message(error);
      }
      return;
    }
    case 'partial': {
      const entry = streams.get(request.stream);
      const ready = entry?.decoder && entry.error === undefined;
      reply({ id: request.id, text: ready ? entry.decoder?.hypothesis() : '' });
      return;
    }
    case 'finish': {
      const entry = streams.get(request.stream);
      if (!entry) return reply({ id: request.id, error: 'no recognition is running' });
      try {
        const decoder = entry.decoder;
        if (entry.error !== undefined || !decoder) throw new Error(entry.error);
        decoder.end();
        reply({ id: request.id, text: decoder.hypothesis(), words: decoder.words() });
      } catch (error) {
        reply({ id: request.id, error: message(error) });
      } finally {
        release(request.stream);
      }
      return;
    }
    case 'abort': {
      const entry = streams.get(request.stream);
      if (entry?.decoder && entry.error === undefined) {
        try {
          entry.decoder.end();
        } catch {
          // The decoder is reset by its next start anyway.
        }
      }
      release(request.stream);
      return;
    }
    case 'align': {
      try {
        aligner ??= new SphinxAligner();
        reply({ id: request.id, aligned: aligner.align(request.pcm, request.transcript) });
      } catch (error) {
        reply({ id: request.id, error: message(error) });
      }
      return;
    }
  }
});
