/**
 * Neural voices the operator supplies (ANIMA_ONNX_VOICES): a directory with one directory per
 * voice, each holding `model.onnx` and `voice.json`:
 *
 *   { "name": "...", "language": "en-US", "gender": "female", "sampleRate": 22050,
 *     "symbols": { " ": 0, "a": 1, ... }, "input": "ids", "output": "audio",
 *     "frameSamples": 256 }   (optional: samples per symbol when the output is [symbols, frame])
 *
 * The voice id is `onnx-<directory name>`. A directory whose voice.json is incomplete is reported
 * when the server starts and left out.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { OnnxVoiceSpec } from '../engines/tts/onnx.engine.js';
import { normalizeLanguage, type VoiceDef } from './voices.js';

export interface OnnxVoices {
  readonly voices: readonly VoiceDef[];
  readonly specs: ReadonlyMap<string, OnnxVoiceSpec>;
  /** Directories left out, and why. */
  readonly problems: readonly string[];
}

function specOf(dir: string): { def: VoiceDef; spec: OnnxVoiceSpec } {
  const model = path.join(dir, 'model.onnx');
  if (!fs.existsSync(model)) throw new Error('no model.onnx');
  const raw = JSON.parse(fs.readFileSync(path.join(dir, 'voice.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const asked = typeof raw.language === 'string' ? raw.language : '';
  const language = normalizeLanguage(asked);
  if (!language) throw new Error(`language "${asked}" is not one we speak`);
  const sampleRate = Number(raw.sampleRate);
  if (!Number.isInteger(sampleRate) || sampleRate < 8000) throw new Error('sampleRate is missing');
  const symbols = raw.symbols as Record<string, number> | undefined;
  if (!symbols || typeof symbols !== 'object' || Object.keys(symbols).length === 0) {
    throw new Error('symbols is missing');
  }
  if (typeof raw.input !== 'string' || typeof raw.output !== 'string') {
    throw new Error('input and output (the model tensor names) are missing');
  }
  const id = `onnx-${path.basename(dir)}`;
  return {
    def: {
      id,
      name: typeof raw.name === 'string' ? raw.name : id,
      language,
      gender: raw.gender === 'male' ? 'male' : 'female',
      engine: 'onnx',
      engineVoice: id,
      isDefault: false,
    },
    spec: {
      model,
      sampleRate,
      symbols,
      input: raw.input,
      output: raw.output,
      ...(typeof raw.frameSamples === 'number' ? { frameSamples: raw.frameSamples } : {}),
    },
  };
}

/** The voices in `root` (none when it is empty or absent). */
export function loadOnnxVoices(root: string): OnnxVoices {
  const voices: VoiceDef[] = [];
  const specs = new Map<string, OnnxVoiceSpec>();
  const problems: string[] = [];
  if (!root || !fs.existsSync(root)) return { voices, specs, problems };
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    try {
      const { def, spec } = specOf(path.join(root, entry.name));
      voices.push(def);
      specs.set(def.engineVoice, spec);
    } catch (error) {
      problems.push(`${entry.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { voices, specs, problems };
}
