import path from 'node:path';
import type { Config } from '../config/config.js';
import { PocketSphinxEngine } from '../engines/asr/pocketsphinx.engine.js';
import { EnginePool } from '../engines/tts/engine-pool.js';
import { EspeakEngine } from '../engines/tts/espeak.engine.js';
import { FestivalEngine } from '../engines/tts/festival.engine.js';
import { AsrService } from './asr.service.js';
import { TtsService } from './tts.service.js';
import { OnnxEngine } from '../engines/tts/onnx.engine.js';
import { loadOnnxVoices } from './onnx-voices.js';
import { loadVoiceAliases } from './voice-aliases.js';
import { builtInVoices, type VoiceDef } from './voices.js';

/** Speech in both directions. Engines start on first use, so a server that never speaks pays nothing. */
export interface SpeechServices {
  readonly tts: TtsService;
  readonly asr: AsrService;
  /** Operator-supplied voices left out, and why (reported at start-up). */
  readonly voiceProblems: readonly string[];
  close(): Promise<void>;
}

/**
 * `personalVoices`: the trained voices of every app (each usable by its own app only). Throws a
 * ConfigError when the voice alias file is bad.
 */
export function openSpeech(
  config: Pick<Config, 'ttsMaxChars' | 'asrMaxStreams' | 'festivalProcesses'> &
    Partial<Pick<Config, 'onnxVoicesDir' | 'voiceAliases' | 'voiceStrict' | 'dataDir'>>,
  personalVoices: () => readonly VoiceDef[] = () => [],
): SpeechServices {
  // Festival's audio files go under the data directory, like everything else the server writes.
  const tmpRoot = config.dataDir ? path.join(config.dataDir, 'tmp') : undefined;
  const festival = new EnginePool(
    Array.from({ length: config.festivalProcesses }, () => new FestivalEngine(tmpRoot)),
  );
  const espeak = new EspeakEngine();
  const neural = loadOnnxVoices(config.onnxVoicesDir ?? '');
  const aliases = loadVoiceAliases(config.voiceAliases ?? '', [...builtInVoices, ...neural.voices]);
  const onnx = new OnnxEngine(() => neural.specs);
  const pocketsphinx = new PocketSphinxEngine();
  return {
    tts: new TtsService(
      { festival, espeak, onnx },
      () => [...builtInVoices, ...neural.voices, ...personalVoices()],
      config,
      { aliases, strict: config.voiceStrict ?? false },
    ),
    asr: new AsrService(pocketsphinx, config.asrMaxStreams),
    voiceProblems: neural.problems,
    async close() {
      await Promise.all([festival.close(), espeak.close(), onnx.close(), pocketsphinx.close()]);
    },
  };
}
