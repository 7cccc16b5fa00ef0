/**
 * bench/speech: TTS speed, the streaming socket's time to first audio, ASR accuracy and speed,
 * and a TTS → ASR round trip. The server runs as its own process; each figure sits beside its
 * floor measured in the same run: the engine called directly, with no service or socket between.
 *
 *   npm run bench:speech [-- --requests 100]
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AnimaClient } from '../sdk/client.js';
import { VoiceSocket } from '../sdk/voice-socket.js';
import { PocketSphinxEngine } from '../src/engines/asr/pocketsphinx.engine.js';
import { EspeakEngine } from '../src/engines/tts/espeak.engine.js';
import { FestivalEngine } from '../src/engines/tts/festival.engine.js';
import type { TtsEngine } from '../src/engines/tts/tts.types.js';
import { pcmOfWav } from '../src/media/pcm.js';
import { samplesDir } from '../src/util/paths.js';
import { openSpeech } from '../src/voice/speech.js';
import { splitFirstPhrase, splitSentences } from '../src/voice/text.js';
import { wordErrorRate } from '../src/voice/wer.js';
import {
  createAppWithCli,
  startServerProcess,
  stopProcess,
} from '../test/helpers/server-process.js';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '100' } } });
const requests = Number(values.requests);

const english =
  'Good morning, and welcome to the evening news. Heavy rain is expected across the north tonight, ' +
  'with winds reaching forty miles an hour by dawn. In sport, the home team won their third match ' +
  'in a row, and the coach said he was proud of every player. Traffic is light on most roads, but ' +
  'the bridge will close for repairs from Monday. That is all for now; thank you for watching.';
const mandarin =
  '大家好，欢迎收看今天的新闻。今晚北方地区将有大雨，风力最高可达每小时六十公里。' +
  '体育方面，主队连续第三场获胜，教练表示为每一位球员感到骄傲。' +
  '大部分道路交通顺畅，但大桥将从周一开始封闭维修。今天的节目就到这里，感谢收看。';
const socketSentences = [
  'Hello, and welcome to the show.',
  'The weather today is sunny and warm.',
  'Please hold on, your call is important to us.',
  'I can help you book a table for tonight.',
  'Our store opens at nine in the morning.',
  'Thank you, that was a great question.',
  'The next train leaves in five minutes.',
  'Sure, let me check that for you.',
  'Your order has been shipped today.',
  'Good night, and see you tomorrow.',
];
const clips = [
  {
    file: 'librivox_en_sense_and_sensibility_0870.wav',
    reference:
      'and mister john dashwood had then leisure to consider how much there might be prudently in his power to do for them',
  },
  {
    file: 'librivox_en_sense_and_sensibility_0920.wav',
    reference:
      'had he married a more a amiable woman he might have been made still more respectable than he was',
  },
];

/** Busy CPU seconds of the whole machine (all processes, all cores) from /proc/stat. */
function machineCpuSeconds(): number {
  const fields = (fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) / 100;
}

async function measured<T>(
  run: () => Promise<T>,
): Promise<{ value: T; wall: number; cpu: number }> {
  const cpu0 = machineCpuSeconds();
  const t0 = performance.now();
  const value = await run();
  return {
    value,
    wall: (performance.now() - t0) / 1000,
    cpu: machineCpuSeconds() - cpu0,
  };
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const ms = (value: number) => value.toFixed(1);

function pcmOf(file: string): Buffer {
  const wav = fs.readFileSync(path.join(samplesDir, 'audio', file));
  return pcmOfWav(wav);
}

async function engineSentences(engine: TtsEngine, voice: string, text: string): Promise<number> {
  let seconds = 0;
  for (const sentence of splitSentences(text)) {
    const result = await engine.synthesize(sentence, {
      engineVoice: voice,
      sampleRate: 16000,
      rate: 1,
    });
    seconds += result.pcm.length / 2 / result.sampleRate;
  }
  return seconds;
}

async function main(dataDir: string, children: ChildProcess[]): Promise<void> {
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const cpuModel = os.cpus()[0]?.model ?? 'unknown CPU';
  out(
    `bench/speech: loopback, ${os.cpus().length} cores (${cpuModel}); CPU = busy seconds of the whole machine`,
  );

  // TTS speed: engine alone (the floor) and through the service (pitch/resample/timing work).
  const festival = new FestivalEngine();
  const espeak = new EspeakEngine();
  const speech = openSpeech({ ttsMaxChars: 20000, asrMaxStreams: 1, festivalProcesses: 2 });
  await engineSentences(festival, 'cmu_us_slt_arctic_hts', 'Warm up.');
  await engineSentences(espeak, 'cmn-latn-pinyin', '你好。');
  // Two sentences at once, so both warm Festival processes have loaded their voice.
  await speech.tts.synthesize(speech.tts.plan({ text: 'Warm up. Warm up again.' }));
  await speech.tts.synthesize(speech.tts.plan({ text: '你好。', language: 'zh-CN' }));
  out(
    '\n| TTS (paragraph, 16 kHz) | audio s | wall s | CPU s | audio s per CPU s | audio s per wall s |',
  );
  out('| --- | ---: | ---: | ---: | ---: | ---: |');
  const ttsRow = (name: string, audio: number, wall: number, cpu: number) =>
    out(
      `| ${name} | ${audio.toFixed(1)} | ${wall.toFixed(2)} | ${cpu.toFixed(2)} | ${(audio / cpu).toFixed(1)} | ${(audio / wall).toFixed(1)} |`,
    );
  const enEngine = await measured(() =>
    engineSentences(festival, 'cmu_us_slt_arctic_hts', english),
  );
  ttsRow(
    `English ${english.length} chars, Festival alone (floor)`,
    enEngine.value,
    enEngine.wall,
    enEngine.cpu,
  );
  const enService = await measured(() => speech.tts.synthesize(speech.tts.plan({ text: english })));
  ttsRow(
    'English, through the TTS service',
    enService.value.durationMs / 1000,
    enService.wall,
    enService.cpu,
  );
  // eSpeak NG runs in a worker thread: the server's event loop should barely notice it.
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const zhEngine = await measured(() => engineSentences(espeak, 'cmn-latn-pinyin', mandarin));
  loopDelay.disable();
  ttsRow(
    `Mandarin ${[...mandarin].length} chars, eSpeak NG alone (floor)`,
    zhEngine.value,
    zhEngine.wall,
    zhEngine.cpu,
  );
  const zhService = await measured(() =>
    speech.tts.synthesize(speech.tts.plan({ text: mandarin, language: 'zh-CN' })),
  );
  ttsRow(
    'Mandarin, through the TTS service',
    zhService.value.durationMs / 1000,
    zhService.wall,
    zhService.cpu,
  );
  out(
    `\nevent loop while eSpeak NG spoke the Mandarin paragraph: longest stall ${(loopDelay.max / 1e6).toFixed(1)} ms`,
  );

  // The socket: time from sending the text to the first audio message, on a real server process.
  const created = createAppWithCli(dataDir, 'bench');
  const server = await startServerProcess('dist/test/helpers/crash-server.js', {
    ANIMA_DATA: dataDir,
    ANIMA_PORT: '0',
    ANIMA_LOG_LEVEL: 'warn',
    ANIMA_RATE_LIMIT: '1000000000',
  });
  children.push(server.child);
  const client = new AnimaClient(server.url, created.appId, created.appKey);
  const token = (await client.authenticate()).accessToken;
  const tts = await VoiceSocket.open(server.url, token);
  await tts.start({ type: 'TTS3', tts: { format: 'pcm', sentence_time: true, word_time: true } });
  for (const sentence of socketSentences) await tts.speak('warm', sentence);
  const firstAudio: number[] = [];
  const whole: number[] = [];
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    const spoken = await tts.speak(String(i), socketSentences[i % socketSentences.length] ?? '');
    whole.push(performance.now() - started);
    firstAudio.push(spoken.firstAudioMs);
  }
  tts.close();
  const floor: number[] = [];
  for (let i = 0; i < requests; i++) {
    const sentence = socketSentences[i % socketSentences.length] ?? '';
    const [first] = splitFirstPhrase(splitSentences(sentence)[0] ?? sentence);
    const started = performance.now();
    await festival.synthesize(first, {
      engineVoice: 'cmu_us_slt_arctic_hts',
      sampleRate: 16000,
      rate: 1,
    });
    floor.push(performance.now() - started);
  }
  const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
  out(`\n| socket TTS, ${requests} requests, one socket | p50 ms | p95 ms | max ms |`);
  out('| --- | ---: | ---: | ---: |');
  const latencyRow = (name: string, values: number[]) => {
    const s = sorted(values);
    out(
      `| ${name} | ${ms(percentile(s, 50))} | ${ms(percentile(s, 95))} | ${ms(s.at(-1) ?? NaN)} |`,
    );
  };
  latencyRow('text sent → first audio message', firstAudio);
  latencyRow('floor: Festival alone on the same first phrase', floor);
  latencyRow('text sent → eof (whole sentence)', whole);

  // ASR through the socket, audio sent as fast as possible, beside the engine alone.
  const pocketsphinx = new PocketSphinxEngine();
  out('\n| ASR (PocketSphinx en-US) | audio s | WER | audio s per wall s | eof → final ms |');
  out('| --- | ---: | ---: | ---: | ---: |');
  const asr = await VoiceSocket.open(server.url, token);
  await asr.start({ type: 'ASR5', asr: { language: 'en-US' } });
  for (const clip of clips) {
    const pcm = pcmOf(clip.file);
    const seconds = pcm.length / 32000;
    const direct = pocketsphinx.start();
    const t0 = performance.now();
    for (let at = 0; at < pcm.length; at += 1280) direct.write(pcm.subarray(at, at + 1280));
    await direct.partial();
    const t1 = performance.now();
    const alone = await direct.finish();
    const t2 = performance.now();
    const name = clip.file.replace('librivox_en_sense_and_sensibility_', 'LibriVox ');
    out(
      `| ${name}, engine alone (floor) | ${seconds.toFixed(2)} | ${(wordErrorRate(clip.reference, alone.text) * 100).toFixed(1)}% | ${(seconds / ((t2 - t0) / 1000)).toFixed(2)} | ${ms(t2 - t1)} |`,
    );
    const s0 = performance.now();
    for (let at = 0; at < pcm.length; at += 1280) asr.sendAudio(pcm.subarray(at, at + 1280));
    const answers = await asr.recognize(Buffer.alloc(0));
    const s1 = performance.now();
    const text = answers.find((answer) => answer.asr?.type === 'final')?.asr?.text ?? '';
    out(
      `| ${name}, through the socket | ${seconds.toFixed(2)} | ${(wordErrorRate(clip.reference, text) * 100).toFixed(1)}% | ${(seconds / ((s1 - s0) / 1000)).toFixed(2)} | (in total) |`,
    );
  }

  // Round trip: the server's English TTS recognised by its ASR.
  const speak = await VoiceSocket.open(server.url, token);
  await speak.start({ type: 'TTS3', tts: { format: 'pcm' } });
  let reference = '';
  let heard = '';
  for (const sentence of splitSentences(english)) {
    const spoken = await speak.speak('rt', sentence);
    const answers = await asr.recognize(Buffer.concat([spoken.audio, Buffer.alloc(8000)]));
    reference += ` ${sentence}`;
    heard += ` ${answers.find((answer) => answer.asr?.type === 'final')?.asr?.text ?? ''}`;
  }
  speak.close();
  asr.close();
  out(
    `\nround trip (Festival slt → PocketSphinx), ${splitSentences(english).length} sentences: WER ${(wordErrorRate(reference, heard) * 100).toFixed(1)}%`,
  );
  out(`  heard:${heard}`);
  await Promise.all([festival.close(), espeak.close(), speech.close(), pocketsphinx.close()]);
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'anima-bench-'));
const children: ChildProcess[] = [];
try {
  await main(dataDir, children);
} finally {
  await Promise.all(children.map((child) => stopProcess(child)));
  fs.rmSync(dataDir, { recursive: true, force: true });
}
