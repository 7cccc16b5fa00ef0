/**
 * bench/voice: personal voices. For each set of samples (the LibriVox reader, two GRID speakers,
 * the FLEURS Mandarin speaker) a voice is trained as the voice.build task does (check, measure,
 * base voice, calibrated shape); then a text it never read is spoken by the personal voice and by
 * its base voice, and both are measured the same way as the speaker: median pitch and speaking rate
 * (phones per second from the recogniser's alignment for English, the syllabic rhythm for
 * Mandarin), in percent of the speaker's. Intelligibility: the recogniser's word error rate on the
 * personal voice against the base voice. Training time per minute of samples.
 *
 *   npm run bench:voice
 */
import os from 'node:os';
import path from 'node:path';
import { samplesDir } from '../src/util/paths.js';
import { checkSamples } from '../src/voice/sample-check.js';
import type { SpeakerMeasures } from '../src/voice/speaker-measure.js';
import { openSpeech } from '../src/voice/speech.js';
import { measureSpeech, trainShape } from '../src/voice/voice-model.handler.js';
import type { VoiceDef } from '../src/voice/voices.js';
import { wordErrorRate } from '../src/voice/wer.js';

const sets = [
  {
    name: 'LibriVox reader (2 clips)',
    language: 'en-US',
    files: ['0870', '0920'].map((n) =>
      path.join(samplesDir, 'audio', `librivox_en_sense_and_sensibility_${n}.wav`),
    ),
  },
  {
    name: 'GRID lrwp9a (woman)',
    language: 'en-US',
    files: [path.join(samplesDir, 'video', 'grid_lrwp9a.mpg')],
  },
  {
    name: 'GRID sbia1a (man)',
    language: 'en-US',
    files: [path.join(samplesDir, 'video', 'grid_sbia1a.mpg')],
  },
  {
    name: 'FLEURS Mandarin speaker',
    language: 'zh-CN',
    files: [path.join(samplesDir, 'audio', 'fleurs_cmn_1883.wav')],
  },
];

const texts: Record<string, string> = {
  'en-US':
    'Our team has been busy this spring. We opened two new offices, one in Lisbon and one in Seoul, and we hired forty people. Please read the full report on our website, and send us your questions.',
  'zh-CN':
    '我们的团队今年春天非常忙碌。我们开设了两个新的办公室，并且招聘了四十名新同事。请访问我们的网站，阅读完整的报告。',
};

let personal: VoiceDef[] = [];
const speech = openSpeech(
  { ttsMaxChars: 5000, asrMaxStreams: 1, festivalProcesses: 1 },
  () => personal,
);
const write = (text: string) => void process.stdout.write(text);
const rate = (m: SpeakerMeasures) => m.phonesPerSecond ?? m.modulationHz;
const percent = (value: number, of: number) =>
  `${value >= of ? '+' : ''}${((100 * value) / of - 100).toFixed(1)}%`;

try {
  write(`bench/voice: ${os.cpus().length} cores\n\n`);
  write(
    '| samples | speech s | train s | train s per min | base | speaker Hz | personal Hz | pitch off | base voice pitch off | speaker rate | personal rate | rate off | base voice rate off | WER personal | WER base |\n' +
      '| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n',
  );
  for (const set of sets) {
    const started = performance.now();
    const checked = await checkSamples(
      set.files.map((file) => ({ name: path.basename(file), file })),
      2,
    );
    const speaker = await measureSpeech(
      speech,
      Buffer.concat(checked.map((s) => s.pcm)),
      set.language,
    );
    const { base, shape } = await trainShape(speech, speaker, set.language);
    const seconds = (performance.now() - started) / 1000;
    const sampleSeconds = checked.reduce((sum, s) => sum + s.pcm.length / 2 / 16000, 0);
    personal = [{ ...base.voice, id: 'pv_bench', isDefault: false, shape, ownerAppId: 'bench' }];
    const text = texts[set.language] ?? '';
    const heard: Record<string, { m: SpeakerMeasures; wer: number | undefined }> = {};
    for (const voice of ['pv_bench', base.voice.id]) {
      const spoken = await speech.tts.synthesize(
        speech.tts.plan({ text, voice, appId: 'bench', sampleRate: 16000 }),
      );
      const m = await measureSpeech(speech, spoken.pcm, set.language);
      const english = set.language.startsWith('en');
      const recognised = english
        ? await speech.asr.transcribe(spoken.pcm, set.language)
        : undefined;
      heard[voice] = { m, wer: recognised ? wordErrorRate(text, recognised.text) : undefined };
    }
    const mine = heard.pv_bench;
    const theirs = heard[base.voice.id];
    if (!mine || !theirs) continue;
    const wer = (value: number | undefined) =>
      value === undefined ? '—' : `${(100 * value).toFixed(1)}%`;
    write(
      `| ${set.name} | ${speaker.speechSeconds.toFixed(1)} | ${seconds.toFixed(1)} | ${((seconds * 60) / sampleSeconds).toFixed(0)} | ${base.voice.id} | ${speaker.pitch.medianHz.toFixed(0)} | ${mine.m.pitch.medianHz.toFixed(0)} | ${percent(mine.m.pitch.medianHz, speaker.pitch.medianHz)} | ${percent(theirs.m.pitch.medianHz, speaker.pitch.medianHz)} | ${rate(speaker).toFixed(2)} | ${rate(mine.m).toFixed(2)} | ${percent(rate(mine.m), rate(speaker))} | ${percent(rate(theirs.m), rate(speaker))} | ${wer(mine.wer)} | ${wer(theirs.wer)} |\n`,
    );
  }
  write(
    '\n(rates: phones/s from the recogniser alignment for English; the syllabic rhythm in Hz for Mandarin)\n',
  );
} finally {
  await speech.close();
}
