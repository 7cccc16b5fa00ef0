import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { VoiceSocket, type VoiceMessage } from '../../sdk/voice-socket.js';
import { pcmOfWav } from '../../src/media/pcm.js';
import { samplesDir } from '../../src/util/paths.js';
import { wordErrorRate } from '../../src/voice/wer.js';
import { startTestServer, waitFor, type TestServer } from '../helpers/harness.js';

let server: TestServer;
let base: string;
let token: string;

before(async () => {
  server = await startTestServer({
    ANIMA_VOICE_STARTER_TIMEOUT: '1',
    ANIMA_VOICE_IDLE_TIMEOUT: '2',
  });
  base = await server.listen();
  token = (await server.newApp()).token;
});
after(() => server.close());

/** The PCM inside a 16 kHz mono WAV fixture (its 44-byte header skipped). */
function fixturePcm(name: string): Buffer {
  return pcmOfWav(fs.readFileSync(path.join(samplesDir, 'audio', name)));
}

async function started(
  starter: { type: string; [field: string]: unknown },
  options: { path?: string; tokenInUrl?: boolean } = {},
) {
  const socket = await VoiceSocket.open(base, token, options);
  const answer = await socket.start(starter);
  assert.equal(answer?.status, 'ok', JSON.stringify(answer));
  assert.equal(answer.warning, undefined);
  // A TTS socket is told which voice speaks; an ASR-only one just "ok".
  assert.equal(typeof answer.voice, starter.type.startsWith('TTS') ? 'string' : 'undefined');
  return socket;
}

test('the voices catalogue lists every built-in voice and the recognition languages', async () => {
  const response = await server.app.inject({
    url: '/api/voice/v1/voices',
    headers: { authorization: `Bearer ${token}` },
  });
  const body = response.json<{
    data: { voices: { id: string; default: boolean; language: string }[]; asrLanguages: string[] };
  }>();
  const ids = body.data.voices.map((voice) => voice.id);
  for (const id of ['en-US-slt', 'en-US-kal', 'en-GB-slt', 'zh-CN-espeak'])
    assert.ok(ids.includes(id), id);
  assert.deepEqual(body.data.asrLanguages, ['en-US']);
  const unauthenticated = await server.app.inject({ url: '/api/voice/v1/voices' });
  assert.equal(unauthenticated.statusCode, 401);
});

test('a socket needs a token, by header or in the URL, on v1 and v3', async () => {
  await assert.rejects(VoiceSocket.open(base, 'wrong'), /HTTP 401/);
  const socket = await started(
    { type: 'TTS3', tts: {} },
    { path: '/api/voice/stream/v3', tokenInUrl: true },
  );
  socket.close();
});

test('TTS streams pcm chunk by chunk with sentence and word times, then eof, several requests per socket', async () => {
  const socket = await started({
    type: 'TTS3',
    device: 'test',
    session: '6f1c2b7e-0a4d-4d3b-9d1a-1b2c3d4e5f60',
    tts: { format: 'pcm', qid: '', language: 'en-US', sentence_time: true, word_time: true },
  });
  const first = await socket.speak('a1', 'Hello there, my good friend. How are you today?');
  const types = first.messages.map((message) => message.tts?.type);
  assert.equal(types.at(-1), 'eof');
  assert.ok(types.filter((type) => type === 'audio').length >= 2, 'audio in several chunks');
  const stamps = first.messages.filter((message) => message.tts?.type === 'timestamp');
  assert.equal(stamps.length, 2, 'one timestamp per sentence');
  const last = stamps[1]?.tts;
  assert.deepEqual(
    last?.word_times?.map((word) => word.text),
    ['How', 'are', 'you', 'today?'],
  );
  const audioMs = (first.audio.length / 2 / 16000) * 1000;
  assert.ok(
    Math.abs((last?.sentence_time?.end_ms ?? 0) - audioMs) < 30,
    'the last sentence ends with the audio',
  );
  for (const message of first.messages) assert.equal(message.tts?.id, 'a1');

  const second = await socket.speak('a2', 'Goodbye.');
  assert.equal(second.messages.at(-1)?.tts?.type, 'eof');
  assert.ok(second.audio.length > 16000, 'about half a second or more of speech');
  socket.close();
});

test('wav comes whole, 24 kHz on request, with SRT subtitles; a refused request leaves the socket usable', async () => {
  const socket = await started({
    type: 'TTS3',
    tts: { format: 'wav', sample_rate: 24000, subtitle: 'srt' },
  });
  const spoken = await socket.speak('w', 'One small step. One giant leap.');
  const audio = spoken.messages.filter((message) => message.tts?.type === 'audio');
  assert.equal(audio.length, 1);
  assert.equal(spoken.audio.toString('ascii', 0, 4), 'RIFF');
  assert.equal(spoken.audio.readUInt32LE(24), 24000);
  const srt = spoken.messages.find((message) => message.tts?.type === 'subtitle')?.tts?.data ?? '';
  assert.match(srt, /^1\n00:00:00,\d{3} --> 00:00:0\d,\d{3}\nOne small step\.\n/);

  const unpunctuated = `${'very '.repeat(20)}long`;
  const refused = await socket.speak('x', unpunctuated);
  assert.equal(refused.messages.length, 1);
  assert.notEqual(refused.messages[0]?.status, 'ok');
  assert.equal(
    refused.messages[0]?.message,
    'engine status error: failed, backend buffer size is too long',
  );
  assert.match(refused.messages[0]?.fix ?? '', /commas or full stops/);
  const again = await socket.speak('y', 'Still here.');
  assert.equal(again.messages.at(-1)?.tts?.type, 'eof');
  socket.close();

  const vtt = await started({ type: 'TTS3', tts: { subtitle: 'vtt' } });
  const captioned = await vtt.speak('v', 'Captions, please.');
  const track = captioned.messages.find((message) => message.tts?.type === 'subtitle')?.tts;
  assert.match(track?.data ?? '', /^WEBVTT\n\n00:00:00\.\d{3} --> /);
  vtt.close();
});

test('Mandarin text is spoken by the Mandarin voice, with Chinese words timed', async () => {
  const socket = await started({ type: 'TTS3', tts: { language: 'zh-CN', word_time: true } });
  const spoken = await socket.speak('zh', '你好，世界。今天是2024年3月5日。');
  assert.equal(spoken.messages.at(-1)?.tts?.type, 'eof');
  const words = spoken.messages
    .flatMap((message) => message.tts?.word_times ?? [])
    .map((word) => word.text);
  assert.ok(words.join('').includes('你好'), words.join('|'));
  assert.ok(spoken.audio.length > 16000 * 2 * 2, 'a few seconds of speech');
  socket.close();
});

test('ASR answers nothing while audio arrives, then exactly a final result and an eof', async () => {
  const socket = await started({ type: 'ASR5', asr: { language: 'en-US', word_time: true } });
  const pcm = fixturePcm('librivox_en_sense_and_sensibility_0870.wav');
  for (let at = 0; at < pcm.length; at += 1280) socket.sendAudio(pcm.subarray(at, at + 1280));
  assert.equal(await socket.next(500), undefined, 'silent while audio arrives');
  socket.send({ signal: 'eof', trace: 't' });
  const final = await socket.next();
  const eof = await socket.next();
  assert.equal(final?.asr?.type, 'final');
  assert.deepEqual(eof, { status: 'ok', asr: { type: 'eof' } });
  assert.equal(await socket.next(700), undefined, 'nothing after the eof');
  const reference =
    'and mister john dashwood had then leisure to consider how much there might be prudently in his power to do for them';
  const wer = wordErrorRate(reference, final?.asr?.text ?? '');
  assert.ok(wer < 0.5, `WER ${wer}: ${final?.asr?.text}`);
  const times = final?.asr?.word_times ?? [];
  assert.ok(
    times.length > 5 && (times.at(-1)?.end_ms ?? 0) <= 7200 && (times[0]?.begin_ms ?? -1) >= 0,
  );

  // The same socket takes a second utterance.
  const second = await socket.recognize(fixturePcm('librivox_en_sense_and_sensibility_0920.wav'));
  assert.deepEqual(
    second.map((message) => message.asr?.type),
    ['final', 'eof'],
  );
  socket.close();
});

test('partial results only when the Starter asks; English TTS comes back through ASR', async () => {
  const tts = await started({ type: 'TTS3', tts: { format: 'pcm' } });
  const sentence =
    'The quick brown fox jumps over the lazy dog, and then it runs back home before dark.';
  const spoken = await tts.speak('rt', sentence);
  tts.close();
  const asr = await started({ type: 'ASR5', asr: { language: 'en-US', partial: true } });
  for (let at = 0; at < spoken.audio.length; at += 1280) {
    asr.sendAudio(spoken.audio.subarray(at, at + 1280));
  }
  // Partials are worked out every so often as audio comes: trailing silence is sent a chunk at a
  // time, each after a short wait for an answer, until one has come back (4 s of it at most).
  const answers: VoiceMessage[] = [];
  for (let chunk = 0; chunk < 100; chunk++) {
    if (answers.some((message) => message.asr?.type === 'partial')) break;
    asr.sendAudio(Buffer.alloc(1280));
    const message = await asr.next(100);
    if (message) answers.push(message);
  }
  assert.ok(
    answers.some((message) => message.asr?.type === 'partial'),
    'a partial came while audio was still arriving',
  );
  asr.send({ signal: 'eof' });
  for (;;) {
    const message = await asr.next();
    if (!message) break;
    answers.push(message);
    if (message.asr?.type === 'eof') break;
  }
  const kinds = answers.map((message) => message.asr?.type);
  assert.deepEqual(kinds.slice(-2), ['final', 'eof']);
  assert.ok(
    kinds.slice(0, -2).every((kind) => kind === 'partial'),
    `only partials before the final: ${kinds.join(',')}`,
  );
  const text = answers.at(-2)?.asr?.text ?? '';
  const wer = wordErrorRate(sentence, text);
  assert.ok(wer < 0.35, `round-trip WER ${wer}: ${text}`);
  asr.close();
});

test('bad input gets protocol-shaped errors and never takes the server down', async () => {
  const socket = await VoiceSocket.open(base, token);
  socket.sendAudio(Buffer.alloc(1280));
  assert.equal((await socket.next())?.code, 7007, 'audio before the Starter');
  socket.socket.send('{not json');
  assert.equal((await socket.next())?.code, 7007);
  socket.send({ type: 'SING' });
  const badType = await socket.next();
  assert.equal(badType?.code, 3333);
  socket.send({ type: 'ASR5', asr: { language: 'zh-CN' } });
  const unsupported = await socket.next();
  assert.equal(unsupported?.code, 7004);
  assert.match(unsupported?.message ?? '', /zh-CN is not supported for speech recognition/);
  assert.deepEqual(await socket.start({ type: 'ASR5', asr: { language: 'en-US' } }), {
    status: 'ok',
  });
  socket.sendAudio(Buffer.alloc(1281));
  assert.equal((await socket.next())?.code, 7008, 'odd byte count');
  socket.sendAudio(Buffer.alloc(100_000));
  assert.equal((await socket.next())?.code, 7007, 'oversized frame');
  socket.send({ hello: 'world' });
  assert.equal((await socket.next())?.code, 7007, 'unknown message');
  socket.send({ id: '1', query: 'Hello.' });
  assert.match((await socket.next())?.message ?? '', /without TTS/);
  socket.close();
  const healthy = await server.app.inject({ url: '/healthz' });
  assert.equal(healthy.statusCode, 200);
});

test('no Starter within the timeout, or an idle socket, is closed; pings keep it open', async () => {
  const silent = await VoiceSocket.open(base, token);
  const farewell = await silent.next(3000);
  assert.match(farewell?.message ?? '', /no Starter message within 1 s/);
  assert.equal((await silent.closed).code, 1008);

  const idle = await started({ type: 'TTS3', tts: {} });
  const pinged = await started({ type: 'TTS3', tts: {} });
  const pinger = setInterval(() => pinged.socket.ping(), 500);
  const closed = await idle.closed;
  assert.equal(closed.code, 1000);
  assert.equal(pinged.socket.readyState, pinged.socket.OPEN, 'the pinged socket is still open');
  clearInterval(pinger);
  pinged.close();
});

test('one socket can both speak and listen; SSML and prosody settings are honoured', async () => {
  const socket = await VoiceSocket.open(base, token);
  const refused = await socket.start({ type: 'TTS3', tts: { speed_ratio: 9 } });
  assert.equal(refused?.code, 3333);
  assert.deepEqual(refused?.detail, [{ field: 'speed_ratio', problem: 'must be 0.5 to 2' }]);
  const ok = await socket.start({
    type: 'TTS3+ASR5',
    tts: { speed_ratio: 0.9, pitch_offset: -2, volume: 1.2 },
    asr: { language: 'en-US' },
  });
  assert.deepEqual(ok, { status: 'ok', voice: 'en-US-slt' });
  const spoken = await socket.speak(
    's',
    '<speak>Please call me <break time="300ms"/> tomorrow morning.</speak>',
    true,
  );
  assert.equal(spoken.messages.at(-1)?.tts?.type, 'eof');
  const answers = await socket.recognize(Buffer.concat([spoken.audio, Buffer.alloc(8000)]));
  assert.deepEqual(
    answers.map((answer) => answer.asr?.type),
    ['final', 'eof'],
  );
  assert.match(answers[0]?.asr?.text ?? '', /call me|tomorrow/);
  socket.close();
});

test('a voice id of the hosted service speaks with the language default, and the Starter says so', async () => {
  const hosted = '8wfZav:AEA_Z10Mqp9GCwDG';
  const socket = await VoiceSocket.open(base, token);
  const answer = await socket.start({ type: 'TTS3', tts: { qid: hosted, format: 'wav' } });
  assert.equal(answer?.status, 'ok');
  assert.equal(answer.voice, 'en-US-slt');
  assert.match(answer.warning ?? '', new RegExp(`voice ${hosted} is not known here`));
  assert.match(answer.warning ?? '', /en-US-slt .*speaks instead.*ANIMA_VOICE_ALIASES/);
  const spoken = await socket.speak('h', 'Still spoken.');
  assert.ok(spoken.audio.length > 44 + 16000, 'speech, not an empty WAV');
  socket.close();

  const british = await VoiceSocket.open(base, token);
  const gb = await british.start({ type: 'TTS3', tts: { qid: hosted, language: 'en-GB' } });
  assert.equal(gb?.voice, 'en-GB-slt');
  british.close();

  // A personal voice that is not this app's is refused, never replaced.
  const personal = await VoiceSocket.open(base, token);
  const refused = await personal.start({ type: 'TTS3', tts: { qid: 'pv_0123456789abcdef' } });
  assert.equal(refused?.code, 7003);
  personal.close();
});

test('after a refused Starter, other messages are told there is no accepted Starter and why', async () => {
  const socket = await VoiceSocket.open(base, token);
  const refused = await socket.start({ type: 'TTS3', tts: { speed_ratio: 9 } });
  assert.equal(refused?.code, 3333);
  socket.send({ id: 'q', query: 'Hello.' });
  const next = await socket.next();
  assert.equal(next?.code, 7007);
  assert.match(next?.message ?? '', /no accepted Starter/);
  assert.match(next?.message ?? '', /refused \(3333 speed_ratio must be 0\.5 to 2\)/);
  assert.doesNotMatch(next?.message ?? '', /type must be/);
  socket.sendAudio(Buffer.alloc(1280));
  assert.match((await socket.next())?.message ?? '', /audio arrived, but .*no accepted Starter/);
  // A corrected Starter is still taken.
  assert.equal((await socket.start({ type: 'TTS3', tts: { speed_ratio: 1.2 } }))?.status, 'ok');
  socket.close();

  // Left refused, the socket is closed at the Starter timeout, saying why in full.
  const refusedOnly = await VoiceSocket.open(base, token);
  const personal = `pv_${'0'.repeat(120)}`;
  assert.equal((await refusedOnly.start({ type: 'TTS3', tts: { qid: personal } }))?.code, 7003);
  const farewell = await refusedOnly.next(3000);
  assert.match(
    farewell?.message ?? '',
    /no Starter accepted within 1 s \(it was refused: 7003 voice pv_0+ not found\)/,
  );
  assert.equal((await refusedOnly.closed).code, 1008);
});

test('volume as clients send it: 100 and 400 are percent, accepted', async () => {
  for (const volume of [100, 400]) {
    const socket = await started({ type: 'TTS3', tts: { volume } });
    const spoken = await socket.speak('v', 'Loud and clear.');
    assert.equal(spoken.messages.at(-1)?.tts?.type, 'eof');
    socket.close();
  }
});

test('a recognition beyond the limit is refused at its Starter; tasks still transcribe meanwhile', async () => {
  const max = server.config.asrMaxStreams;
  const holders: VoiceSocket[] = [];
  for (let i = 0; i < max; i++) holders.push(await started({ type: 'ASR5' }));
  const late = await VoiceSocket.open(base, token);
  const busy = await late.start({ type: 'ASR5', asr: { language: 'en-US' } });
  assert.equal(busy?.code, 7009);
  late.close();
  // Pings keep the holders open past this server's 2-second idle timeout.
  const pinger = setInterval(() => holders.forEach((socket) => socket.socket.ping()), 500);
  // Idle sockets hold every slot: a recording transcribed by a task is not refused.
  const heard = await server.platform.speech.asr.transcribe(
    fixturePcm('librivox_en_sense_and_sensibility_0920.wav'),
  );
  assert.match(heard?.text ?? '', /married/);
  clearInterval(pinger);
  const first = holders.shift();
  first?.close();
  await first?.closed;
  const next = await waitFor(async () => {
    const socket = await VoiceSocket.open(base, token);
    const answer = await socket.start({ type: 'ASR5' });
    if (answer?.status === 'ok') return socket;
    socket.close();
    return undefined;
  });
  for (const socket of [next, ...holders]) socket.close();
});
