/**
 * The streaming voice socket's wire format, read and written without a socket: what each client
 * message becomes, every refusal's code and words, and each answer exactly as it is serialised.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../src/errors/app-error.js';
import {
  asrEof,
  asrFinal,
  asrPartial,
  audioChunkBytes,
  checkAudioFrame,
  describeRefusal,
  isStarterAttempt,
  messageKind,
  parseMessage,
  parseSpeak,
  parseStarter,
  pcmAudio,
  refusalOf,
  sentenceTimes,
  starterAccepted,
  streamError,
  subtitleAnswer,
  ttsEof,
  wavAudio,
} from '../../src/voice/stream.wire.js';

/** The refusal `run` throws: its code, message and field problems. */
function refusal(run: () => unknown): { code: number; message: string; detail?: unknown } {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof AppError, String(error));
    return {
      code: error.code,
      message: error.message,
      ...(error.detail ? { detail: error.detail } : {}),
    };
  }
  assert.fail('expected a refusal');
}

test('a text frame must be a JSON object', () => {
  assert.deepEqual(
    refusal(() => parseMessage('not json')),
    {
      code: 7007,
      message: 'streaming voice: a text message must be JSON',
    },
  );
  for (const raw of ['[1]', '"TTS3"', 'null', '3']) {
    assert.equal(
      refusal(() => parseMessage(raw)).message,
      'streaming voice: a message must be a JSON object',
      raw,
    );
  }
  assert.deepEqual(parseMessage('{"type":"TTS3"}'), { type: 'TTS3' });
});

test('messages are told apart in order: a Starter by its type before start; eof, then speech, after', () => {
  assert.equal(isStarterAttempt({ type: 'nonsense' }), true);
  assert.equal(isStarterAttempt({ query: 'hello' }), false);
  assert.equal(messageKind({ signal: 'eof', query: 'hi', type: 'TTS3' }), 'eof');
  assert.equal(messageKind({ query: 'hi', type: 'TTS3' }), 'speak');
  assert.equal(messageKind({ text: 5 }), 'speak', 'a text field of any type is a TTS request');
  assert.equal(messageKind({ type: 'TTS3+ASR5' }), 'starter');
  assert.equal(messageKind({ type: 'other' }), 'unknown');
  assert.equal(messageKind({ signal: 'stop' }), 'unknown');
  assert.equal(
    refusalOf('starter').message,
    'streaming voice: the Starter was already accepted on this socket',
  );
  assert.equal(
    refusalOf('unknown').message,
    'streaming voice: unknown message: expected {id, query} for TTS or {signal: "eof"} for ASR',
  );
});

test('a TTS3 Starter with nothing set takes the defaults, and carries the app for its voices', () => {
  assert.deepEqual(parseStarter({ type: 'TTS3' }, 'app1'), {
    tts: {
      format: 'pcm',
      request: { appId: 'app1', sampleRate: 16000 },
      sentenceTime: false,
      wordTime: false,
      subtitle: undefined,
    },
    asr: undefined,
  });
  assert.deepEqual(parseStarter({ type: 'ASR5', tts: { format: 'nonsense' } }), {
    tts: undefined,
    asr: { language: 'en-US', wordTime: false, partial: false },
  });
});

test('every Starter setting is read as clients send it: numbers as strings, flags as true, "true" or 1', () => {
  const starter = parseStarter({
    type: 'TTS3+ASR5',
    tts: {
      qid: 'en-US-kal',
      language: 'en-US',
      format: 'wav',
      subtitle: 'vtt',
      speed_ratio: '1.5',
      pitch_offset: -2,
      volume: 100,
      sample_rate: '24000',
      sentence_time: 'true',
      word_time: 1,
    },
    asr: { language: 'zh-CN', sample_rate: 16000, word_time: true, partial: 'true' },
  });
  assert.deepEqual(starter, {
    tts: {
      format: 'wav',
      request: {
        voice: 'en-US-kal',
        language: 'en-US',
        speedRatio: 1.5,
        pitchOffset: -2,
        volume: 100,
        sampleRate: 24000,
      },
      sentenceTime: true,
      wordTime: true,
      subtitle: 'vtt',
    },
    asr: { language: 'zh-CN', wordTime: true, partial: true },
  });
  assert.equal(parseStarter({ type: 'TTS', tts: { subtitle: '' } }).tts?.subtitle, undefined);
  assert.equal(parseStarter({ type: 'TTS', tts: { word_time: 'yes' } }).tts?.wordTime, false);
});

test('a bad Starter is refused with every field problem at once (3333), a bad type alone', () => {
  assert.deepEqual(
    refusal(() =>
      parseStarter({
        type: 'TTS3+ASR5',
        tts: { format: 'mp3', subtitle: 'ass', qid: 7, speed_ratio: 'fast' },
        asr: { sample_rate: 8000 },
      }),
    ).detail,
    [
      { field: 'tts.format', problem: 'must be pcm or wav' },
      { field: 'tts.subtitle', problem: 'must be srt or vtt' },
      { field: 'tts.qid', problem: 'must be a string' },
      { field: 'tts.speed_ratio', problem: 'must be a number' },
      { field: 'asr.sample_rate', problem: 'must be 16000 (16 kHz 16-bit mono PCM)' },
    ],
  );
  for (const type of [undefined, 'ASR', 'tts3', 3]) {
    const refused = refusal(() => parseStarter({ type, tts: { format: 'mp3' } }));
    assert.equal(refused.code, 3333);
    assert.deepEqual(refused.detail, [
      { field: 'type', problem: 'must be TTS3, ASR5, TTS3+ASR5 or TTS' },
    ]);
  }
});

test('a TTS request: query before text, its id echoed whatever it is, ssml as a flag', () => {
  assert.deepEqual(parseSpeak({ id: 'p1', query: 'Hello.', text: 'ignored' }), {
    text: 'Hello.',
    ssml: false,
    tag: { id: 'p1' },
  });
  assert.deepEqual(parseSpeak({ text: '<speak>Hi</speak>', ssml: 'true', id: 0 }), {
    text: '<speak>Hi</speak>',
    ssml: true,
    tag: { id: 0 },
  });
  assert.deepEqual(parseSpeak({ query: '' }), { text: '', ssml: false, tag: {} });
  assert.deepEqual(refusal(() => parseSpeak({ id: 'p2', query: 5 })).detail, [
    { field: 'query', problem: 'must be a string' },
  ]);
});

test('recognition audio: small raw PCM frames, never a WAV file, within the utterance limit', () => {
  const limits = { maxFrameBytes: 4096, asrMaxSeconds: 1 };
  assert.doesNotThrow(() => checkAudioFrame(Buffer.alloc(1280), 0, limits));
  assert.deepEqual(
    refusal(() => checkAudioFrame(Buffer.alloc(4098), 0, limits)),
    {
      code: 7007,
      message:
        'streaming voice: an audio frame of 4098 bytes is too large: send 16 kHz 16-bit mono PCM in 1280-byte (40 ms) chunks',
    },
  );
  const wav = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(1276)]);
  assert.deepEqual(
    refusal(() => checkAudioFrame(wav, 0, limits)),
    {
      code: 7008,
      message: 'audio must be 16 kHz 16-bit mono PCM, got a WAV file',
    },
  );
  assert.doesNotThrow(() => checkAudioFrame(wav, 1280, limits), 'only the first frame is a header');
  assert.equal(
    refusal(() => checkAudioFrame(Buffer.alloc(1279), 0, limits)).message,
    'audio must be 16 kHz 16-bit mono PCM, got 1279 bytes, an odd count',
  );
  // One second is 32000 bytes: the frame that would pass it is refused, the one that fills it not.
  assert.doesNotThrow(() => checkAudioFrame(Buffer.alloc(1280), 32000 - 1280, limits));
  assert.equal(
    refusal(() => checkAudioFrame(Buffer.alloc(1280), 32000 - 1278, limits)).message,
    'streaming voice: one utterance may hold at most 1 s of audio: send {signal: "eof"}',
  );
});

const sentence = {
  text: 'Hello there.',
  beginMs: 0,
  endMs: 900,
  words: [
    { text: 'Hello', beginMs: 0, endMs: 400 },
    { text: 'there', beginMs: 400, endMs: 900 },
  ],
};

test('TTS answers, serialised exactly as the protocol writes them', () => {
  const pcm = Buffer.alloc(audioChunkBytes * 2 + 10, 1);
  const chunks = pcmAudio(pcm, { id: 'p1' });
  assert.equal(chunks.length, 3, 'one second of 16 kHz audio per message at most');
  assert.equal(
    JSON.stringify(chunks[2]),
    `{"status":"ok","tts":{"type":"audio","audio_data":"${Buffer.alloc(10, 1).toString('base64')}","id":"p1"}}`,
  );
  assert.deepEqual(pcmAudio(Buffer.alloc(0), {}), []);
  assert.equal(
    JSON.stringify(wavAudio(Buffer.from('RIFF'), 1250, {})),
    '{"status":"ok","tts":{"type":"audio","audio_data":"UklGRg==","duration_ms":1250}}',
  );
  assert.equal(sentenceTimes(sentence, { sentenceTime: false, wordTime: false }, {}), undefined);
  assert.equal(
    JSON.stringify(sentenceTimes(sentence, { sentenceTime: true, wordTime: true }, { id: 7 })),
    '{"status":"ok","tts":{"type":"timestamp",' +
      '"sentence_time":{"text":"Hello there.","begin_ms":0,"end_ms":900},' +
      '"word_times":[{"text":"Hello","begin_ms":0,"end_ms":400},{"text":"there","begin_ms":400,"end_ms":900}],' +
      '"id":7}}',
  );
  assert.deepEqual(sentenceTimes(sentence, { sentenceTime: true, wordTime: false }, {}), {
    status: 'ok',
    tts: { type: 'timestamp', sentence_time: { text: 'Hello there.', begin_ms: 0, end_ms: 900 } },
  });
  assert.equal(
    JSON.stringify(subtitleAnswer('srt', '1\n', { id: 'p1' })),
    '{"status":"ok","tts":{"type":"subtitle","format":"srt","data":"1\\n","id":"p1"}}',
  );
  assert.equal(
    JSON.stringify(ttsEof({ id: 'p1' })),
    '{"status":"ok","tts":{"type":"eof","id":"p1"}}',
  );
  assert.equal(JSON.stringify(ttsEof({})), '{"status":"ok","tts":{"type":"eof"}}');
});

test('Starter, ASR and error answers, serialised exactly', () => {
  assert.equal(
    JSON.stringify(starterAccepted('en-US-slt', 'not a voice here: the default speaks')),
    '{"status":"ok","voice":"en-US-slt","warning":"not a voice here: the default speaks"}',
  );
  assert.equal(JSON.stringify(starterAccepted()), '{"status":"ok"}');
  assert.equal(
    JSON.stringify(asrPartial('hello')),
    '{"status":"ok","asr":{"type":"partial","text":"hello"}}',
  );
  assert.equal(
    JSON.stringify(asrFinal({ text: 'Hello there', words: sentence.words }, true)),
    '{"status":"ok","asr":{"type":"final","text":"Hello there","word_times":' +
      '[{"text":"Hello","begin_ms":0,"end_ms":400},{"text":"there","begin_ms":400,"end_ms":900}]}}',
  );
  assert.deepEqual(asrFinal({ text: 'Hi', words: sentence.words }, false), {
    status: 'ok',
    asr: { type: 'final', text: 'Hi' },
  });
  assert.equal(JSON.stringify(asrEof()), '{"status":"ok","asr":{"type":"eof"}}');

  const refused = new AppError('badParams', {}, { detail: [{ field: 'query', problem: 'x' }] });
  const answer = streamError(refused, { id: 'p1' });
  assert.deepEqual(Object.keys(answer), ['status', 'code', 'message', 'fix', 'detail', 'id']);
  assert.equal(answer.status, 'failed');
  assert.equal(answer.code, 3333);
  assert.equal(describeRefusal(refused), '3333 query x');
  const plain = new AppError('voiceStreamProtocol', { reason: 'why' });
  assert.deepEqual(Object.keys(streamError(plain)), ['status', 'code', 'message', 'fix']);
  assert.equal(describeRefusal(plain), '7007 streaming voice: why');
});
