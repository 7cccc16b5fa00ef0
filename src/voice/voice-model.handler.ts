/**
 * The voice.build task: upload → check → label → train → publish. The samples are fetched (or
 * found) and checked one by one; labelling is automatic (manual labelling is refused when the
 * request arrives); training measures the speaker and the nearest base voice the same way and
 * derives the shape TTS applies; publishing stores the model (profile and kept samples) and
 * registers the voice id for the app.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/config.js';
import type { FileService, MediaRef } from '../files/file.service.js';
import { toWav } from '../media/pcm.js';
import { writeZip } from '../storage/zip-writer.js';
import type { TaskHandler } from '../tasks/task.contract.js';
import { checkSamples, type CheckedSample, type VoiceSample } from './sample-check.js';
import { floatsOf, measureRate, measureSpeaker, type SpeakerMeasures } from './speaker-measure.js';
import type { SpeechServices } from './speech.js';
import type { SpeechPlan } from './tts.service.js';
import type { VoiceModelRepository } from './voice-model.repository.js';
import {
  clamp,
  deriveShape,
  nearestBase,
  profileFormat,
  profileVersion,
  type VoiceProfile,
  rateRatio,
  type VoiceShape,
} from './voice-profile.js';
import { builtInVoices, normalizeLanguage, personalVoicePrefix, type VoiceDef } from './voices.js';

export interface VoiceBuildPayload {
  readonly name: string;
  readonly language: string;
  readonly samples: readonly MediaRef[];
}

/** What each base voice reads to be measured: a few sentences of ordinary prose. */
const referenceTexts: Readonly<Record<string, string>> = {
  en: 'When the sun rose over the hills, the village was already awake. Farmers walked to their fields, children ran along the river, and the baker opened his door to the smell of fresh bread. It was going to be a warm and busy day.',
  zh: '太阳升起的时候，村子里的人们已经醒了。农民走向田野，孩子们沿着河边奔跑，面包师打开了店门，空气中飘着新鲜面包的香味。这将是温暖而忙碌的一天。',
};

/** Base voices measured once per process (each is the same every time). */
const baseMeasures = new Map<string, Promise<SpeakerMeasures>>();

/** The reference reading of a base voice, as a plan (shaped or not). */
function referencePlan(speech: SpeechServices, voice: VoiceDef) {
  const text = referenceTexts[voice.language.slice(0, 2)] ?? referenceTexts.en ?? '';
  return speech.tts.plan({ text, voice: voice.id, sampleRate: measureRate });
}

const rateSeconds = 60;

/**
 * Speech measured: pitch, loudness peaks, spectrum; and where the recogniser knows the language,
 * phones per second of its alignment (16 kHz mono PCM).
 */
export async function measureSpeech(
  speech: SpeechServices,
  pcm: Buffer,
  language: string,
): Promise<SpeakerMeasures> {
  const measures = measureSpeaker(floatsOf(pcm));
  if (!speech.asr.languages.includes(normalizeLanguage(language) ?? '')) return measures;
  // A minute of speech settles the rate; longer samples would only hold the recogniser longer.
  const aligned = await speech.asr.transcribe(
    pcm.subarray(0, rateSeconds * measureRate * 2),
    language,
  );
  const phones = (aligned?.phonemes ?? []).filter((p) => !/^(SIL|sil|\+.*\+|<.*>)$/.test(p.symbol));
  const seconds = phones.reduce((sum, p) => sum + (p.endMs - p.beginMs), 0) / 1000;
  return seconds > 0.5 ? { ...measures, phonesPerSecond: phones.length / seconds } : measures;
}

async function measurePlan(speech: SpeechServices, plan: SpeechPlan, signal?: AbortSignal) {
  const spoken = await speech.tts.synthesize(plan, signal);
  return measureSpeech(speech, spoken.pcm, plan.voice.language);
}

/** A built-in voice's own speech, measured as a speaker's would be. */
export function measureBaseVoice(
  speech: SpeechServices,
  voice: VoiceDef,
): Promise<SpeakerMeasures> {
  let measured = baseMeasures.get(voice.id);
  if (!measured) {
    measured = measurePlan(speech, referencePlan(speech, voice));
    measured.catch(() => baseMeasures.delete(voice.id));
    baseMeasures.set(voice.id, measured);
  }
  return measured;
}

/** The voices a personal voice of `language` can be made from. */
export function baseVoicesFor(language: string): VoiceDef[] {
  const canonical = normalizeLanguage(language) ?? language;
  return builtInVoices.filter((voice) => voice.language === canonical);
}

/**
 * Closing the loop: the shaped base voice reads its reference text and is measured like the
 * speaker; pitch and rate are corrected by what is still off, up to three times. The measures are
 * not linear in the settings (a slowed voice's long vowels can show extra loudness peaks), so the
 * first estimate alone can miss by 30% or more.
 */
async function calibrate(
  speech: SpeechServices,
  voice: VoiceDef,
  speaker: SpeakerMeasures,
  first: VoiceShape,
  step: (k: number) => void,
  signal?: AbortSignal,
): Promise<VoiceShape> {
  let shape = first;
  for (let k = 0; k < maxCalibrations; k++) {
    const plan = speech.tts.withShape(referencePlan(speech, voice), shape);
    const heard = await measurePlan(speech, plan, signal);
    step(k + 1);
    const pitchOff = speaker.pitch.medianHz / heard.pitch.medianHz;
    const rateOff = rateRatio(speaker, heard);
    // The syllabic rhythm (no recogniser for the language) is the coarser measure: the rate
    // then moves within 0.7–1.4.
    const [low, high] = heard.phonesPerSecond === undefined ? [0.7, 1.4] : [0.5, 2];
    if (Math.abs(Math.log(pitchOff)) < 0.02 && Math.abs(Math.log(rateOff)) < 0.03) break;
    shape = {
      ...shape,
      pitchFactor: Number(clamp(shape.pitchFactor * pitchOff, 0.5, 2).toFixed(3)),
      rateFactor: Number(clamp(shape.rateFactor * rateOff, low, high).toFixed(3)),
    };
  }
  return shape;
}

const maxCalibrations = 3;

/**
 * Training proper: the base voice of the language nearest the speaker, the shape derived from the
 * two voices' measures, then calibrated. `progress` sees 0–100.
 */
export async function trainShape(
  speech: SpeechServices,
  speaker: SpeakerMeasures,
  language: string,
  progress: (percent: number) => void = () => undefined,
  signal?: AbortSignal,
): Promise<{ base: { voice: VoiceDef; measures: SpeakerMeasures }; shape: VoiceShape }> {
  const candidates: { voice: VoiceDef; measures: SpeakerMeasures }[] = [];
  for (const voice of baseVoicesFor(language)) {
    signal?.throwIfAborted();
    candidates.push({ voice, measures: await measureBaseVoice(speech, voice) });
  }
  const base = nearestBase(speaker, candidates);
  progress(30);
  const shape = await calibrate(
    speech,
    base.voice,
    speaker,
    deriveShape(speaker, base.measures),
    (k) => progress(30 + (70 * k) / maxCalibrations),
    signal,
  );
  return { base, shape };
}

/** The trained voice: the speaker's measures, the base voice nearest them and the shape applied. */
interface TrainedVoice {
  readonly speaker: SpeakerMeasures;
  readonly base: { readonly voice: VoiceDef; readonly measures: SpeakerMeasures };
  readonly shape: VoiceShape;
}

type Progress = (stage: string, percent: number) => void;

/** The upload stage: each sample found here (a fileId, an own link) or fetched, 0–20%. */
async function fetchSamples(
  files: FileService,
  refs: readonly MediaRef[],
  appId: string,
  signal: AbortSignal,
  progress: Progress,
): Promise<VoiceSample[]> {
  progress('upload', 0);
  const samples: VoiceSample[] = [];
  for (const [k, ref] of refs.entries()) {
    const stored = await files.resolve(ref, appId, signal, ['audio', 'video']);
    samples.push({ name: stored.name, file: await files.localPath(stored.id) });
    progress('upload', (20 * (k + 1)) / refs.length);
  }
  return samples;
}

/** The train stage, 50–85%: the samples' speech measured together, then the shape trained. */
async function trainVoice(
  speech: SpeechServices,
  checked: readonly CheckedSample[],
  language: string,
  signal: AbortSignal,
  progress: Progress,
): Promise<TrainedVoice> {
  progress('train', 50);
  const pcm = Buffer.concat(checked.map((sample) => sample.pcm));
  const speaker = await measureSpeech(speech, pcm, language);
  const { base, shape } = await trainShape(
    speech,
    speaker,
    language,
    (percent) => progress('train', 50 + percent * 0.35),
    signal,
  );
  progress('train', 85);
  return { speaker, base, shape };
}

/** The model file: its profile (versioned) and the checked samples as 16 kHz WAV, zipped. */
async function writeVoiceModel(
  zipPath: string,
  voiceId: string,
  name: string,
  trained: TrainedVoice,
  checked: readonly CheckedSample[],
): Promise<void> {
  const sampleNames = checked.map((_, k) => `assets/samples/${String(k + 1).padStart(2, '0')}.wav`);
  const profile: VoiceProfile = {
    format: profileFormat,
    version: profileVersion,
    voiceId,
    name,
    language: trained.base.voice.language,
    base: trained.base.voice.id,
    engine: 'profile',
    shape: trained.shape,
    measured: { speaker: trained.speaker, base: trained.base.measures },
    samples: sampleNames,
    createdAt: new Date().toISOString(),
  };
  await writeZip(zipPath, [
    { name: 'models/voice-profile.json', data: Buffer.from(JSON.stringify(profile, null, 2)) },
    ...checked.map((sample, k) => ({
      name: sampleNames[k] ?? `assets/samples/${k}.wav`,
      data: toWav(sample.pcm, measureRate),
    })),
  ]);
}

/** What the speaker measured as, in the task's result (rounded for people to read). */
function measuredAnswer(speaker: SpeakerMeasures): Record<string, unknown> {
  return {
    pitchHz: Math.round(speaker.pitch.medianHz),
    pitchRangeHz: [Math.round(speaker.pitch.lowHz), Math.round(speaker.pitch.highHz)],
    syllablesPerSecond: Number(speaker.syllablesPerSecond.toFixed(2)),
    syllabicRhythmHz: Number(speaker.modulationHz.toFixed(2)),
    ...(speaker.phonesPerSecond !== undefined
      ? { phonesPerSecond: Number(speaker.phonesPerSecond.toFixed(2)) }
      : {}),
    loudnessDb: Number(speaker.loudnessDb.toFixed(1)),
  };
}

/** What training a voice uses: the samples' files, the engines, the voices' registry. */
export interface VoiceBuildDeps {
  readonly config: Config;
  readonly files: FileService;
  readonly speech: SpeechServices;
  readonly voiceModels: VoiceModelRepository;
}

export function voiceBuildHandler(services: VoiceBuildDeps): TaskHandler<VoiceBuildPayload> {
  const models = services.voiceModels;
  return async ({ task, params, signal, workDir, progress }) => {
    const samples = await fetchSamples(
      services.files,
      params.samples,
      task.appId,
      signal,
      progress,
    );
    progress('check', 20);
    const checked = await checkSamples(samples, services.config.voiceMinSpeechSeconds, signal);
    progress('label', 45);
    // Labelling is automatic: the measures need no transcript. (humanLabel is refused at the door.)
    const trained = await trainVoice(services.speech, checked, params.language, signal, progress);

    progress('publish', 90);
    const voiceId = `${personalVoicePrefix}${randomUUID().replace(/-/g, '')}`;
    const zipPath = path.join(workDir, 'voice.zip');
    await writeVoiceModel(zipPath, voiceId, params.name, trained, checked);
    // Kept: the model is what its voice id stands for, past the results' retention.
    const zip = await services.files.saveResult(
      zipPath,
      `${params.name}.voice.zip`,
      task.appId,
      'application/zip',
      true,
    );
    await fs.rm(zipPath, { force: true });
    const { speaker, base, shape } = trained;
    await models.register({
      voiceId,
      appId: task.appId,
      name: params.name,
      language: base.voice.language,
      baseVoice: base.voice.id,
      shape,
      fileId: zip.id,
      taskId: task.id,
      createdAt: Date.now(),
    });
    progress('publish', 100);
    return {
      voiceId,
      name: params.name,
      language: base.voice.language,
      baseVoice: base.voice.id,
      speechSeconds: Number(speaker.speechSeconds.toFixed(2)),
      measured: measuredAnswer(speaker),
      shape,
      url: services.files.signedUrl(zip),
      fileId: zip.id,
    };
  };
}
