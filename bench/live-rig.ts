/**
 * What bench/live drives: a real avatar model (built from a GRID clip, as the product builds one),
 * real TTS, and live sessions made straight from LiveSession with a bench FrameSource of choice,
 * the encoder's settings the service's own (loadConfig: preset and 720p rate).
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildVideoModel } from '../src/avatar/model-builder.js';
import { readPackage } from '../src/avatar/model-package.js';
import { checkVideoSource } from '../src/avatar/source-check.js';
import { loadConfig } from '../src/config/config.js';
import { FacePool } from '../src/engines/face/face-pool.js';
import { LiveSession, type LiveEvents } from '../src/live/live-session.js';
import type { Utterance } from '../src/live/live-speaker.js';
import { liveSampleRate } from '../src/live/running-live.js';
import { probeMedia } from '../src/media/probe.js';
import { samplesDir } from '../src/util/paths.js';
import { loadAvatar, type AvatarFrames } from '../src/video/avatar-frames.js';
import { AvatarFrameSource, restingMouth, type FrameSource } from '../src/video/frame-source.js';
import { plainBackdrop } from '../src/video/backdrop.js';
import { defaultPlacement } from '../src/video/video.handler.js';
import type { MouthFrame } from '../src/video/viseme-track.js';
import { openSpeech, type SpeechServices } from '../src/voice/speech.js';

export const fps = 25;
export const appId = 'bench-live';
export const sentences = [
  'Good morning, and welcome to the quarterly update from our team.',
  'We opened two new offices this spring, one in Lisbon and one in Seoul.',
  'Sales grew by twelve percent, while our costs stayed flat.',
];

export interface Rig {
  readonly avatar: AvatarFrames;
  readonly speech: SpeechServices;
  readonly dir: string;
  close(): Promise<void>;
}

/** The lrwp9a GRID clip made into a model (face tracking and listening, as the avatar task does). */
export async function openRig(dir: string): Promise<Rig> {
  const speech = openSpeech({ ttsMaxChars: 1000, asrMaxStreams: 1, festivalProcesses: 1 });
  const pool = new FacePool(1);
  try {
    const file = path.join(samplesDir, 'video', 'grid_lrwp9a.mpg');
    const info = await probeMedia(file);
    const names = { modelId: 'bench_live', fileName: path.basename(file) };
    const work = path.join(dir, 'model');
    fs.mkdirSync(work, { recursive: true });
    const built = await buildVideoModel({
      file,
      info: { ...info, video: checkVideoSource(info, names) },
      names,
      name: 'lrwp',
      engine: pool,
      asr: speech.asr,
      workDir: work,
      progress: () => undefined,
    });
    const avatar = await loadAvatar(await readPackage(built.zipPath), work);
    return {
      avatar,
      speech,
      dir,
      close: async () => {
        avatar.close();
        await speech.close();
      },
    };
  } finally {
    await pool.close();
  }
}

/** A sentence said through TTS as a push or a scene would be. */
export function ttsUtterance(text: string, id = 0, origin: Utterance['origin'] = 'push') {
  return {
    id,
    scene: 0,
    origin,
    kind: 'tts' as const,
    appId,
    speech: { kind: 'tts' as const, text, ssml: false, language: 'en-US' },
  };
}

export interface BenchSessionSpec {
  readonly width: number;
  readonly height: number;
  /** The picture: the avatar's own source, or a bench source wrapped around it. */
  readonly source: (avatar: FrameSource) => FrameSource;
  /** The script's one scene; looped when recycle. */
  readonly scene: (id: number) => Utterance;
  readonly recycle: boolean;
  readonly rtp?: { readonly videoPort: number; readonly audioPort: number };
  readonly onTransport?: (chunk: Buffer) => void;
  readonly events?: LiveEvents;
  /** Where the HLS files go (a viewer reads them); a new directory under the rig's when absent. */
  readonly hlsDir?: string;
  /** Who composes the picture (the session's default when absent: the encoder, one look). */
  readonly composeIn?: 'encoder' | 'compositor';
  /** A picture behind the avatar (its blue wall keyed out), as most scripts have; none when absent. */
  readonly background?: string;
}

/** A background picture and the key that takes the avatar's wall out, as live-looks.ts does. */
function backgroundOf(avatar: AvatarFrames, file: string | undefined) {
  if (!file) return {};
  const chromaKey = plainBackdrop(avatar);
  return { background: { kind: 'image' as const, file }, ...(chromaKey ? { chromaKey } : {}) };
}

/** A session as running-live.ts makes one, its HLS going to a directory of its own under the rig's. */
export function benchSession(rig: Rig, spec: BenchSessionSpec): LiveSession {
  const { livePreset, liveVideoKbps } = loadConfig({});
  const size = [spec.width, spec.height] as const;
  const hlsDir = spec.hlsDir ?? fs.mkdtempSync(path.join(rig.dir, 'hls-'));
  return new LiveSession(
    {
      fps,
      width: spec.width,
      height: spec.height,
      sampleRate: liveSampleRate,
      looks: [
        {
          key: 'bench',
          source: spec.source(new AvatarFrameSource(rig.avatar)),
          composition: {
            avatar: rig.avatar,
            width: spec.width,
            height: spec.height,
            fps,
            placement: defaultPlacement(rig.avatar, size, {}),
            foregrounds: [],
            ...backgroundOf(rig.avatar, spec.background),
          },
        },
      ],
      recycle: spec.recycle,
      sceneUtterance: (_scene, id) => spec.scene(id),
      encode: {
        preset: livePreset,
        videoKbps: Math.max(300, Math.round((liveVideoKbps * spec.width * spec.height) / 921600)),
        hls: { dir: hlsDir, segmentSeconds: 1 },
        ...(spec.rtp ? { rtp: spec.rtp } : {}),
        transport: spec.onTransport !== undefined,
      },
      ...(spec.onTransport ? { onTransport: spec.onTransport } : {}),
      ...(spec.composeIn ? { composeIn: spec.composeIn } : {}),
    },
    rig.speech.tts,
    spec.events ?? {},
  );
}

/** The avatar with every `period`-th frame (from `phase`) painted white: the flash of the A/V check. */
export function flashingSource(inner: FrameSource, period: number, phase = 0): FrameSource {
  return {
    frameBytes: inner.frameBytes,
    render(n: number, mouth: MouthFrame, out: Uint8Array): Uint8Array {
      inner.render(n, mouth, out);
      if ((n - phase) % period === 0) out.fill(255);
      return out;
    },
  };
}

/** White while the mouth is not at rest, dark when it is: the first spoken frame is unmistakable. */
export function speakingSource(inner: FrameSource): FrameSource {
  return {
    frameBytes: inner.frameBytes,
    render(_n: number, mouth: MouthFrame, out: Uint8Array): Uint8Array {
      // What the picture shows: `from` at mix 0, `to` at mix 1, a blend of both between.
      const shown =
        mouth.mix <= 0 ? [mouth.from] : mouth.mix >= 1 ? [mouth.to] : [mouth.from, mouth.to];
      const resting = shown.every((shape) => shape === restingMouth.from);
      return out.fill(resting ? 16 : 255);
    },
  };
}

/** Silence as a script scene: the session idles until something is pushed. */
export function silentScene(id: number): Utterance {
  return {
    id,
    scene: 0,
    origin: 'script',
    kind: 'pcm',
    pcm: () => Promise.resolve(new Int16Array(liveSampleRate / 5)),
  };
}

export { percentile } from './stats.js';

export const ms = (value: number): string => `${Math.round(value)} ms`;
