/**
 * What bench/video and bench/mouth share: the texts, a model built as the product builds it, and
 * one render in a process of its own (bench/video-render.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildVideoModel } from '../src/avatar/model-builder.js';
import { buildPhotoModel } from '../src/avatar/photo-model.js';
import { checkImageSource, checkVideoSource } from '../src/avatar/source-check.js';
import type { FacePool } from '../src/engines/face/face-pool.js';
import { isStillImage } from '../src/media/still-image.js';
import { probeMedia } from '../src/media/probe.js';
import { runProcess } from '../src/media/process.runner.js';
import { packageRoot } from '../src/util/paths.js';
import type { PhonemeTiming } from '../src/engines/tts/tts.types.js';
import type { AsrService } from '../src/voice/asr.service.js';

export const english =
  'Good morning, and welcome to the quarterly update. Our team has been busy this spring. ' +
  'We opened two new offices, one in Lisbon and one in Seoul, and we hired forty people. ' +
  'Sales grew by twelve percent, while costs stayed flat. Next, I would like to thank our partners, ' +
  'who helped us ship the new mobile app on time. Please read the full report on our website, ' +
  'and send us your questions. Thank you for watching, and see you next time.';
export const mandarin =
  '大家好，欢迎收看本季度的工作汇报。今年春天，我们的团队非常忙碌。我们在里斯本和首尔开设了两个新的办公室，' +
  '并且招聘了四十名新同事。销售额增长了百分之十二，成本保持不变。感谢所有合作伙伴的支持，' +
  '让新的手机应用按时上线。欢迎访问我们的网站，阅读完整的报告。谢谢大家，下次再见。';

/** A model as the product builds it: its clip's speech listened to (asr) beside the face tracking. */
export async function buildBenchModel(
  dir: string,
  source: string,
  engine: FacePool,
  asr: AsrService,
): Promise<string> {
  const info = await probeMedia(source);
  const names = { modelId: 'bench_s1', fileName: path.basename(source) };
  const work = fs.mkdtempSync(path.join(dir, 'model-'));
  const photo = isStillImage(info);
  const input = {
    file: source,
    info: { ...info, video: photo ? checkImageSource(info, names) : checkVideoSource(info, names) },
    names,
    name: path.parse(source).name,
    engine,
    asr,
    workDir: work,
    progress: () => undefined,
  };
  return (await (photo ? buildPhotoModel(input) : buildVideoModel(input))).zipPath;
}

export interface RenderResult {
  ttsSeconds: number;
  renderSeconds: number;
  /** From the start of the speech to the file written: speech, model and render. */
  totalSeconds: number;
  firstFrameMs: number;
  firstSecondMs: number;
  frames: number;
  durationSeconds: number;
  maxRssMb: number;
  /** The speech sounds the render was given, timed from its start (streamed renders). */
  phonemes: PhonemeTiming[];
}

export async function renderInChild(
  dir: string,
  model: string,
  size: readonly [number, number],
  text: string,
  language: string,
  out: string,
): Promise<RenderResult> {
  const textFile = path.join(dir, `text-${language}-${text.length}.txt`);
  fs.writeFileSync(textFile, text);
  const { stdout } = await runProcess(process.execPath, [
    path.join(packageRoot, 'dist', 'bench', 'video-render.js'),
    model,
    String(size[0]),
    String(size[1]),
    out,
    textFile,
    language,
    process.argv.includes('speech-first') ? 'speech-first' : 'streamed',
  ]);
  return JSON.parse(stdout.toString('utf8')) as RenderResult;
}
