import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, test } from 'node:test';
import type { VoiceMessage } from '../../sdk/voice-socket.js';
import { pcmOfWav } from '../../src/media/pcm.js';
import { samplesDir } from '../../src/util/paths.js';
import { openSpeech } from '../../src/voice/speech.js';
import {
  VoiceStreamSession,
  type StreamLimits,
  type StreamTransport,
} from '../../src/voice/stream.session.js';

// The streaming voice protocol driven on the session itself, through a transport object that
// records what would go down the socket. Festival, eSpeak NG and PocketSphinx are the real ones.
const speech = openSpeech({ ttsMaxChars: 2000, asrMaxStreams: 2, festivalProcesses: 1 });
after(() => speech.close());

/** What the SDK reads, plus the fields it does not (yet) name. */
type Message = VoiceMessage & {
  readonly id?: unknown;
  readonly tts?: { readonly format?: string; readonly duration_ms?: number };
};

/** A socket's far end: every message sent, the close if any, and a way to wait for either. */
class RecordingTransport implements StreamTransport {
  readonly messages: Message[] = [];
  readonly warnings: string[] = [];
  closedWith: { code: number; reason: string } | undefined;
  /** What bufferedAmount answers next; a test fills it to play a slow reader. */
  buffered: number[] = [];
  bufferedAsked = 0;
  private wake: (() => void) | undefined;

  send(message: object): void {
    this.messages.push(message as Message);
    this.wake?.();
  }

  close(code: number, reason: string): void {
    this.closedWith = { code, reason };
    this.wake?.();
  }

  bufferedAmount(): number {
    this.bufferedAsked++;
    return this.buffered.shift() ?? 0;
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  /** Waits until `done` holds of what was sent (checked at each message), and returns it all. */
  async until(done: (messages: readonly Message[]) => boolean): Promise<Message[]> {
    while (!done(this.messages)) {
      const closed = this.closedWith;
      if (closed)
        throw new Error(`closed (${closed.code} ${closed.reason}) before the answer came`);
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    return [...this.messages];
  }

  /** Waits for the message after the first `count`. */
  async nth(count: number): Promise<Message> {
    const all = await this.until((messages) => messages.length > count);
    return all[count] as Message;
  }
}

const quiet: StreamLimits = {
  starterTimeoutMs: 60_000,
  idleTimeoutMs: 60_000,
  asrMaxSeconds: 30,
  maxFrameBytes: 64 * 1024,
};

// Each test's sessions are closed after it, freeing their recognition slots and timers.
const open: VoiceStreamSession[] = [];
afterEach(() => open.splice(0).forEach((session) => session.onClose()));

function session(limits: Partial<StreamLimits> = {}) {
  const transport = new RecordingTransport();
  const created = new VoiceStreamSession(transport, speech, { ...quiet, ...limits });
  open.push(created);
  const text = (message: unknown) => created.onText(JSON.stringify(message));
  return { session: created, transport, text };
}

/** A session whose Starter was accepted (its "ok" already read). */
async function started(starter: object, limits: Partial<StreamLimits> = {}) {
  const made = session(limits);
  made.text(starter);
  const ok = await made.transport.nth(0);
  assert.equal(ok.status, 'ok', JSON.stringify(ok));
  made.transport.messages.length = 0;
  return made;
}

const protocol = (reason: string) => ({
  status: 'failed',
  code: 7007,
  message: `streaming voice: ${reason}`,
});

/** The code and message of an error answer, or its code and detail for a 3333. */
function refusal(message: Message | undefined) {
  assert.equal(message?.status, 'failed', JSON.stringify(message));
  assert.equal(typeof message?.fix, 'string');
  return message?.code === 3333
    ? { status: message.status, code: message.code, detail: message.detail }
    : { status: message?.status, code: message?.code, message: message?.message };
}

function fixturePcm(name: string): Buffer {
  return pcmOfWav(fs.readFileSync(path.join(samplesDir, 'audio', name)));
}

const eofOf = (id: string) => (messages: readonly Message[]) =>
  messages.some((message) => message.tts?.type === 'eof' && message.tts?.id === id);

test('each Starter type is accepted: TTS ones name their voice, ASR5 answers a bare ok', async () => {
  for (const type of ['TTS', 'TTS3', 'TTS3+ASR5']) {
    const { transport, text } = session();
    text({ type, tts: { qid: 'en-GB-slt' } });
    assert.deepEqual(await transport.nth(0), { status: 'ok', voice: 'en-GB-slt' }, type);
  }
  const { transport, text } = session();
  text({ type: 'ASR5', asr: { language: 'en-US', sample_rate: 16000 } });
  assert.deepEqual(await transport.nth(0), { status: 'ok' });
  // Sections may be left out, and numbers may come as strings.
  const bare = session();
  bare.text({ type: 'TTS3', tts: { speed_ratio: '1.5', sample_rate: '24000' } });
  assert.equal((await bare.transport.nth(0)).status, 'ok');
});

test('a bad Starter is refused with every fault named, and a corrected one is then accepted', async () => {
  const { transport, text, session: voice } = session();
  text({ type: 'TTS4' });
  text({
    type: 'TTS3+ASR5',
    tts: { format: 'mp3', subtitle: 'ass', speed_ratio: 'fast', qid: 5 },
    asr: { sample_rate: 8000 },
  });
  text({ id: 'a', query: 'Hello.' });
  voice.onBinary(Buffer.alloc(1280));
  text({ type: 'TTS3', tts: { qid: 'pv_nobody' } });
  text({ type: 'ASR5', asr: { language: 'xx-YY' } });
  text({ type: 'TTS3' });
  const all = await transport.until((messages) => messages.length === 7);
  assert.deepEqual(refusal(all[0]), {
    status: 'failed',
    code: 3333,
    detail: [{ field: 'type', problem: 'must be TTS3, ASR5, TTS3+ASR5 or TTS' }],
  });
  assert.deepEqual(refusal(all[1]), {
    status: 'failed',
    code: 3333,
    detail: [
      { field: 'tts.format', problem: 'must be pcm or wav' },
      { field: 'tts.subtitle', problem: 'must be srt or vtt' },
      { field: 'tts.qid', problem: 'must be a string' },
      { field: 'tts.speed_ratio', problem: 'must be a number' },
      { field: 'asr.sample_rate', problem: 'must be 16000 (16 kHz 16-bit mono PCM)' },
    ],
  });
  // Until a Starter is accepted, other messages are told why the last one was refused.
  const refused =
    'the Starter was refused (3333 tts.format must be pcm or wav; tts.subtitle must be srt or vtt; tts.qid must be a string; tts.speed_ratio must be a number; asr.sample_rate must be 16000 (16 kHz 16-bit mono PCM)); send a corrected Starter first';
  assert.deepEqual(
    refusal(all[2]),
    protocol(`this message arrived, but this socket has no accepted Starter: ${refused}`),
  );
  assert.deepEqual(
    refusal(all[3]),
    protocol(`audio arrived, but this socket has no accepted Starter: ${refused}`),
  );
  assert.equal(all[4]?.code, 7003, 'an unknown voice is refused at the Starter');
  assert.equal(all[5]?.code, 7004, 'so is a language recognition does not know');
  assert.equal(all[6]?.status, 'ok');
  assert.equal(typeof all[6]?.voice, 'string');
});

test('before and after the Starter, messages that break the protocol are answered, not fatal', async () => {
  const { transport, session: voice } = session();
  voice.onText('not json');
  voice.onText('[1, 2]');
  voice.onText('{"id": "a", "query": "Hi."}');
  const early = await transport.until((messages) => messages.length === 3);
  assert.deepEqual(refusal(early[0]), protocol('a text message must be JSON'));
  assert.deepEqual(refusal(early[1]), protocol('a message must be a JSON object'));
  assert.deepEqual(
    refusal(early[2]),
    protocol(
      'this message arrived, but this socket has no accepted Starter: send the Starter {type: "TTS3" | "ASR5" | "TTS3+ASR5", ...} first',
    ),
  );
  const tts = await started({ type: 'TTS3' });
  tts.text({ type: 'ASR5' });
  tts.text({ hello: 1 });
  tts.text({ signal: 'eof' });
  tts.session.onBinary(Buffer.alloc(1280));
  tts.text({ id: 'n', query: 7 });
  const ttsOnly = 'this socket was started without ASR: send a Starter with type ASR5';
  assert.deepEqual((await tts.transport.until((messages) => messages.length === 5)).map(refusal), [
    protocol('the Starter was already accepted on this socket'),
    protocol('unknown message: expected {id, query} for TTS or {signal: "eof"} for ASR'),
    protocol(ttsOnly),
    protocol(ttsOnly),
    { status: 'failed', code: 3333, detail: [{ field: 'query', problem: 'must be a string' }] },
  ]);
  const asr = await started({ type: 'ASR5' });
  asr.text({ id: 'a', query: 'Hi.' });
  assert.deepEqual(
    refusal(await asr.transport.nth(0)),
    protocol('this socket was started without TTS: send a Starter with type TTS3'),
  );
});

test('TTS answers in request order: audio, then each sentence time, subtitles, then eof', async () => {
  const { transport, text } = await started({
    type: 'TTS3',
    tts: { format: 'pcm', sentence_time: true, word_time: true, subtitle: 'srt' },
  });
  text({ id: 'a', query: 'First sentence here. Second one follows. The third ends it.' });
  text({ id: 'bad', query: '<speak>Unclosed', ssml: true });
  text({ query: 'Untagged.' });
  text({ id: 'b', text: 'Last.' });
  const all = await transport.until(eofOf('b'));
  // A refused request is answered at once, not behind the ones before it, with its id.
  assert.equal(all[0]?.code, 7002);
  assert.equal(all[0]?.id, 'bad');
  const tags = all.slice(1).map((message) => message.tts?.id ?? '-');
  const untagged = tags.indexOf('-');
  assert.ok(
    tags.lastIndexOf('a') < untagged && tags.lastIndexOf('-') < tags.indexOf('b'),
    JSON.stringify(tags),
  );
  const first = all.slice(1).filter((message) => message.tts?.id === 'a');
  const kinds = first.map((message) => message.tts?.type);
  assert.deepEqual(kinds.slice(-2), ['subtitle', 'eof']);
  // Each sentence's audio comes before its timestamp; sentences come in order, back to back.
  const stamps = first.filter((message) => message.tts?.type === 'timestamp');
  assert.deepEqual(
    stamps.map((message) => message.tts?.sentence_time?.text),
    ['First sentence here.', 'Second one follows.', 'The third ends it.'],
  );
  let heardMs = 0;
  for (const [index, message] of first.entries()) {
    const tts = message.tts;
    if (tts?.type === 'audio') heardMs += Buffer.from(tts?.audio_data ?? '', 'base64').length / 32;
    if (tts?.type !== 'timestamp') continue;
    assert.equal(kinds[index - 1], 'audio', 'audio before its timestamp');
    assert.ok(
      Math.abs((tts?.sentence_time?.end_ms ?? -9) - heardMs) < 2,
      `${tts?.sentence_time?.end_ms} ${heardMs}`,
    );
    assert.deepEqual(tts?.word_times?.map((word) => word.text).join(' '), tts?.sentence_time?.text);
  }
  assert.match(
    first.at(-2)?.tts?.data ?? '',
    /^1\n00:00:\d\d,\d{3} --> .*\nFirst sentence here\.\n[\s\S]*\nThe third ends it\.\n$/,
  );
  assert.equal(first.at(-2)?.tts?.format, 'srt');
  assert.deepEqual(all.at(-1), { status: 'ok', tts: { type: 'eof', id: 'b' } });
});

test('wav format sends the request as one WAV with its duration, then eof; no times unless asked', async () => {
  const { transport, text } = await started({
    type: 'TTS3',
    tts: { format: 'wav', subtitle: 'vtt' },
  });
  text({ id: 7, query: 'One. Two.' });
  const all = await transport.until((messages) => messages.some((m) => m.tts?.type === 'eof'));
  assert.deepEqual(
    all.map((message) => message.tts?.type),
    ['audio', 'subtitle', 'eof'],
  );
  const wav = Buffer.from(all[0]?.tts?.audio_data ?? '', 'base64');
  assert.equal(wav.subarray(0, 4).toString('latin1'), 'RIFF');
  assert.equal(all[0]?.tts?.duration_ms, Math.round(((wav.length - 44) / 32000) * 1000));
  assert.match(all[1]?.tts?.data ?? '', /^WEBVTT/);
  assert.deepEqual(all[2], { status: 'ok', tts: { type: 'eof', id: 7 } });
});

test('a slow reader holds the audio back until its buffer drains', async () => {
  const { transport, text } = await started({ type: 'TTS3', tts: { sentence_time: true } });
  // Full for the first three looks after the first sentence, then read.
  transport.buffered = [5e6, 5e6, 5e6];
  text({ id: 'a', query: 'One sentence. And another.' });
  const all = await transport.until(eofOf('a'));
  const stamps = all.filter((message) => message.tts?.type === 'timestamp');
  assert.equal(stamps.length, 2);
  assert.equal(transport.bufferedAsked, 5, 'asked again while full, once per sentence after');
});

test('ASR says nothing while audio comes, then exactly one final and one eof per eof', async () => {
  const {
    transport,
    text,
    session: voice,
  } = await started({
    type: 'ASR5',
    asr: { language: 'en-US', word_time: true },
  });
  const pcm = fixturePcm('librivox_en_sense_and_sensibility_0870.wav');
  for (let at = 0; at < pcm.length; at += 1280) voice.onBinary(pcm.subarray(at, at + 1280));
  assert.deepEqual(transport.messages, [], 'no answer while audio arrives');
  text({ signal: 'eof' });
  const first = await transport.until((messages) => messages.length === 2);
  assert.equal(first[0]?.asr?.type, 'final');
  assert.match(first[0]?.asr?.text ?? '', /leisure to consider/);
  assert.ok((first[0]?.asr?.word_times?.length ?? 0) > 5);
  assert.deepEqual(first[1], { status: 'ok', asr: { type: 'eof' } });
  // An eof with no audio is an empty utterance; audio after an eof is the next utterance.
  text({ signal: 'eof' });
  const empty = await transport.until((messages) => messages.length === 4);
  assert.deepEqual(empty.slice(2), [
    { status: 'ok', asr: { type: 'final', text: '', word_times: [] } },
    { status: 'ok', asr: { type: 'eof' } },
  ]);
  for (let at = 0; at < pcm.length; at += 1280) voice.onBinary(pcm.subarray(at, at + 1280));
  text({ signal: 'eof' });
  const again = await transport.until((messages) => messages.length === 6);
  assert.equal(again[4]?.asr?.text, first[0]?.asr?.text, 'the same words the second time');
  assert.deepEqual(again[5], { status: 'ok', asr: { type: 'eof' } });
});

test('ASR audio is refused when it is not raw 16-bit PCM or exceeds its limits', async () => {
  const {
    transport,
    session: voice,
    text,
  } = await started({ type: 'ASR5' }, { asrMaxSeconds: 1, maxFrameBytes: 4096 });
  voice.onBinary(Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(1276)]));
  voice.onBinary(Buffer.alloc(1279));
  voice.onBinary(Buffer.alloc(4098));
  for (let sent = 0; sent < 32000; sent += 3200) voice.onBinary(Buffer.alloc(3200));
  voice.onBinary(Buffer.alloc(1280));
  const all = await transport.until((messages) => messages.length === 4);
  assert.deepEqual(all.map(refusal), [
    {
      status: 'failed',
      code: 7008,
      message: 'audio must be 16 kHz 16-bit mono PCM, got a WAV file',
    },
    {
      status: 'failed',
      code: 7008,
      message: 'audio must be 16 kHz 16-bit mono PCM, got 1279 bytes, an odd count',
    },
    protocol(
      'an audio frame of 4098 bytes is too large: send 16 kHz 16-bit mono PCM in 1280-byte (40 ms) chunks',
    ),
    protocol('one utterance may hold at most 1 s of audio: send {signal: "eof"}'),
  ]);
  // The second of audio that fitted is still recognised.
  text({ signal: 'eof' });
  const done = await transport.until((messages) => messages.length === 6);
  assert.deepEqual(
    done.slice(4).map((message) => message.asr?.type),
    ['final', 'eof'],
  );
  // Each utterance has its own budget: after the eof, a full second is taken again.
  for (let sent = 0; sent < 32000; sent += 3200) voice.onBinary(Buffer.alloc(3200));
  text({ signal: 'eof' });
  const next = await transport.until((messages) => messages.length === 8);
  assert.deepEqual(
    next.slice(6).map((message) => message.asr?.type),
    ['final', 'eof'],
  );
});

test('partial results come only when asked, before the final, never after it', async () => {
  const asked = await started({ type: 'ASR5', asr: { partial: true } });
  const plain = await started({ type: 'ASR5' });
  const pcm = fixturePcm('librivox_en_sense_and_sensibility_0870.wav');
  const feed = (chunk: Buffer) => [asked, plain].forEach(({ session: s }) => s.onBinary(chunk));
  for (let at = 0; at < pcm.length; at += 1280) feed(pcm.subarray(at, at + 1280));
  // Partials are computed at most every so often, so silence is fed until one has come.
  const hasPartial = (messages: readonly Message[]) =>
    messages.some((message) => message.asr?.type === 'partial');
  let stop = false;
  const silence = (async () => {
    while (!stop) {
      feed(Buffer.alloc(1280));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  await asked.transport.until(hasPartial);
  stop = true;
  await silence;
  for (const { text } of [asked, plain]) text({ signal: 'eof' });
  const isEof = (messages: readonly Message[]) => messages.at(-1)?.asr?.type === 'eof';
  const withPartials = await asked.transport.until(isEof);
  const without = await plain.transport.until(isEof);
  const kinds = withPartials.map((message) => message.asr?.type);
  assert.deepEqual(kinds.slice(-2), ['final', 'eof']);
  assert.ok(
    kinds.slice(0, -2).every((kind) => kind === 'partial'),
    kinds.join(),
  );
  const partials = withPartials.filter((message) => message.asr?.type === 'partial');
  assert.ok(
    partials.every((message) => message.asr?.text !== ''),
    'no empty partial',
  );
  assert.equal(
    new Set(partials.map((message) => message.asr?.text)).size,
    partials.length,
    'no repeats',
  );
  assert.deepEqual(
    without.map((message) => message.asr?.type),
    ['final', 'eof'],
  );
});

test('an ASR Starter holds a slot until the socket closes; beyond the slots it is refused busy', async () => {
  const holders = [await started({ type: 'ASR5' }), await started({ type: 'TTS3+ASR5' })];
  const late = session();
  late.text({ type: 'ASR5' });
  const busy = await late.transport.nth(0);
  assert.equal(busy.code, 7009);
  holders[0]?.session.onClose();
  late.text({ type: 'ASR5' });
  assert.deepEqual(await late.transport.nth(1), { status: 'ok' });
  holders[1]?.session.onClose();
  late.session.onClose();
});

test('no Starter in time closes the socket with 1008, saying why, and a refused one is named', async () => {
  const silent = session({ starterTimeoutMs: 30 });
  await silent.transport.until(() => silent.transport.closedWith !== undefined);
  assert.deepEqual(silent.transport.closedWith, {
    code: 1008,
    reason: 'no Starter message within 0.03 s',
  });
  assert.deepEqual(
    refusal(silent.transport.messages[0]),
    protocol('no Starter message within 0.03 s'),
  );
  const wrong = session({ starterTimeoutMs: 30 });
  wrong.text({ type: 'TTS3', tts: { format: 'ogg' } });
  await wrong.transport.until(() => wrong.transport.closedWith !== undefined);
  assert.deepEqual(wrong.transport.closedWith, {
    code: 1008,
    reason:
      'no Starter accepted within 0.03 s (it was refused: 3333 tts.format must be pcm or wav)',
  });
  // Closed is closed: nothing more is sent.
  wrong.text({ type: 'TTS3' });
  assert.equal(wrong.transport.messages.length, 2);
  // An accepted Starter stops that clock: a request that outlasts it is answered to its eof.
  const kept = await started({ type: 'TTS3' }, { starterTimeoutMs: 30 });
  kept.text({ id: 'k', query: 'This takes longer than the Starter clock. So does this.' });
  await kept.transport.until(eofOf('k'));
  assert.equal(kept.transport.closedWith, undefined);
});

test('an idle socket is closed with 1000, but not while its answer is still being made', async () => {
  const { transport, text } = await started({ type: 'TTS3' }, { idleTimeoutMs: 20 });
  text({
    id: 'long',
    query: 'This takes a while to say. It has three sentences. Here is the last.',
  });
  await transport.until(() => transport.closedWith !== undefined);
  assert.deepEqual(transport.closedWith, { code: 1000, reason: 'idle for 0.02 s' });
  const kinds = transport.messages.map((message) => message.tts?.type ?? message.status);
  assert.deepEqual(kinds.slice(-2), ['eof', 'failed'], 'the eof came before the idle close');
});
