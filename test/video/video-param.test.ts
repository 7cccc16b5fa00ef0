import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FieldProblem } from '../../src/errors/app-error.js';
import { parseVideoParam } from '../../src/video/video-param.js';
import { refusal } from '../helpers/media.js';

// parseVideoParam on its own: every section's accepted shapes, and each refusal with the exact
// `detail` a client reads in the 3333 answer.

const avatar = { face_feature_id: 'f1' };
const speech = { content: 'Hello there.' };
const minimal = { digital_role: avatar, tts_query: speech };
const fileId = 'ab'.repeat(16);

/** The `detail` of the 3333 refusal for this param. */
function detail(raw: unknown, photo = false): readonly FieldProblem[] {
  const error = refusal(() => parseVideoParam(raw, photo));
  assert.equal(error.code, 3333);
  return error.detail ?? [];
}

const one = (field: string, problem: string) => [{ field, problem }];

test('the smallest param gets every default, as an object or as a JSON string of one', () => {
  const expected = {
    format: 'mp4',
    fps: 25,
    avatar: { faceFeatureId: 'f1', rotation: 0, zPosition: 0, startFrame: 0 },
    speech: { kind: 'tts', text: 'Hello there.', ssml: false },
    foregrounds: [],
    burnSubtitles: false,
  };
  assert.deepEqual(parseVideoParam(minimal), expected);
  assert.deepEqual(parseVideoParam(JSON.stringify(minimal)), expected);
});

test('output settings: format in any case, even sizes within bounds, rate and bit rate', () => {
  const job = parseVideoParam({
    ...minimal,
    version: '1.0',
    video_format: 'WebM',
    resolution: [1920, 64],
    bit_rate: 2.5,
    frame_rate: 60,
    subtitles: { burn: true },
  });
  assert.deepEqual(
    [job.format, job.resolution, job.bitRateMbps, job.fps, job.burnSubtitles],
    ['webm', [1920, 64], 2.5, 60, true],
  );
  assert.equal(parseVideoParam({ ...minimal, video_format: 'mp4' }).format, 'mp4');
  assert.deepEqual(
    detail({ ...minimal, video_format: 'avi' }),
    one('param.video_format', 'must be "MP4" or "WebM"'),
  );
  const sizes = one('param.resolution', 'must be [width, height], even numbers from 64 to 1920');
  for (const resolution of [
    [65, 100],
    [62, 100],
    [1922, 100],
    [100, 1921],
  ]) {
    assert.deepEqual(detail({ ...minimal, resolution }), sizes, String(resolution));
  }
  assert.deepEqual(
    detail({ ...minimal, resolution: [100] }),
    one('param.resolution', 'must not have fewer than 2 items'),
  );
  assert.deepEqual(detail({ ...minimal, frame_rate: 0 }), one('param.frame_rate', 'must be >= 1'));
  assert.deepEqual(
    detail({ ...minimal, frame_rate: 2.5 }),
    one('param.frame_rate', 'must be integer'),
  );
  assert.deepEqual(detail({ ...minimal, bit_rate: 0 }), one('param.bit_rate', 'must be > 0'));
  assert.deepEqual(detail({ ...minimal, bit_rate: 51 }), one('param.bit_rate', 'must be <= 50'));
  assert.deepEqual(
    detail({ ...minimal, subtitles: { burn: 'yes' } }),
    one('param.subtitles.burn', 'must be boolean'),
  );
  assert.deepEqual(
    detail({ ...minimal, version: 'x'.repeat(21) }),
    one('param.version', 'must not have more than 20 characters'),
  );
});

test('watermark: shown text is trimmed; hidden needs none; shown needs some', () => {
  const shown = parseVideoParam({ ...minimal, watermark: { show: true, content: '  Demo  ' } });
  assert.equal(shown.watermark, 'Demo');
  const hidden = parseVideoParam({ ...minimal, watermark: { show: false, content: 'Demo' } });
  assert.equal('watermark' in hidden, false);
  const empty = one('param.watermark.content', 'give the text to show');
  assert.deepEqual(detail({ ...minimal, watermark: { show: true } }), empty);
  assert.deepEqual(detail({ ...minimal, watermark: { show: true, content: '   ' } }), empty);
  assert.deepEqual(
    detail({ ...minimal, watermark: { content: 'Demo' } }),
    one('param.watermark', 'must have required properties show'),
  );
});

test('digital_role: a model by url or id, placed, scaled, turned and layered', () => {
  const job = parseVideoParam({
    ...minimal,
    digital_role: {
      id: 7,
      name: 'Ann',
      url: 'https://example.com/ann.zip',
      position: { x: 10, y: -20 },
      scale: 0.5,
      z_position: 1,
      rotation: -90,
      start_frame_index: 12,
    },
    foregrounds: [{ url: 'https://example.com/logo.png' }],
  });
  assert.deepEqual(job.avatar, {
    url: 'https://example.com/ann.zip',
    position: { x: 10, y: -20 },
    scale: 0.5,
    rotation: -90,
    zPosition: 1,
    startFrame: 12,
  });
  assert.deepEqual(
    detail({ tts_query: speech }),
    one('param.digital_role', 'give the avatar model: url or face_feature_id'),
  );
  assert.deepEqual(
    detail({ ...minimal, digital_role: { ...avatar, z_position: 2 }, foregrounds: [{ url: 'a' }] }),
    one('param.digital_role.z_position', 'is how many foregrounds the avatar covers: 0 to 1 here'),
  );
  assert.deepEqual(
    detail({ ...minimal, digital_role: { ...avatar, rotation: 400 } }),
    one('param.digital_role.rotation', 'must be <= 360'),
  );
  assert.deepEqual(
    detail({ ...minimal, digital_role: { ...avatar, scale: 0 } }),
    one('param.digital_role.scale', 'must be > 0'),
  );
  assert.deepEqual(
    detail({ ...minimal, digital_role: { ...avatar, position: { x: 1 } } }),
    one('param.digital_role.position', 'must have required properties y'),
  );
});

test('speech: TTS with its voice settings, or a recording in the voice language', () => {
  const tts = parseVideoParam({
    digital_role: avatar,
    tts_query: { content: '<speak>Hi.</speak>', ssml: true },
    tts_config: {
      id: 'en-US-slt',
      name: 'Slt',
      vendor_id: 3,
      language: 'en-US',
      pitch_offset: -2,
      speed_ratio: 1.5,
      volume: 80,
    },
  });
  assert.deepEqual(tts.speech, {
    kind: 'tts',
    text: '<speak>Hi.</speak>',
    ssml: true,
    voice: 'en-US-slt',
    language: 'en-US',
    speedRatio: 1.5,
    pitchOffset: -2,
    volume: 80,
  });
  const recorded = parseVideoParam({
    digital_role: avatar,
    audios: [{ url: 'https://example.com/a.wav' }],
    tts_config: { language: 'de-DE' },
  });
  assert.deepEqual(recorded.speech, {
    kind: 'audio',
    source: { url: 'https://example.com/a.wav' },
    language: 'de-DE',
  });
  const neither = one(
    'param.tts_query',
    'give the speech: tts_query (with tts_config) or audios, one of them',
  );
  assert.deepEqual(detail({ digital_role: avatar }), neither);
  assert.deepEqual(
    detail({ ...minimal, tts_config: { speed_ratio: 'fast' } }),
    one('param.tts_config.speed_ratio', 'must be number'),
  );
  assert.deepEqual(detail({ ...minimal, audios: [{ url: 'a' }] }), neither);
  assert.deepEqual(
    detail({ ...minimal, tts_query: { content: '' } }),
    one('param.tts_query.content', 'must not have fewer than 1 characters'),
  );
  assert.deepEqual(
    detail({ digital_role: avatar, audios: [{ url: 'a' }, { url: 'b' }] }),
    one('param.audios', 'must not have more than 1 items'),
  );
});

test('layers: one background and up to four foregrounds, by url or fileId, with timing', () => {
  const job = parseVideoParam({
    ...minimal,
    backgrounds: [{ type: 1, fileId, rect: [0, 0, 1280, 720], cycle: false, play_offset: 2 }],
    foregrounds: [
      { url: 'https://example.com/a.png', start: 1.5, duration: 3 },
      { url: 'https://example.com/b.png', duration: -1 },
      { url: 'https://example.com/c.png', duration: 0 },
    ],
  });
  assert.deepEqual(job.background, {
    source: { fileId },
    rect: [0, 0, 1280, 720],
    timing: { cycle: false, start: 0, playOffset: 2 },
  });
  assert.deepEqual(job.foregrounds, [
    {
      source: { url: 'https://example.com/a.png' },
      timing: { cycle: true, start: 1.5, playOffset: 0, duration: 3 },
    },
    {
      source: { url: 'https://example.com/b.png' },
      timing: { cycle: true, start: 0, playOffset: 0 },
    },
    {
      source: { url: 'https://example.com/c.png' },
      timing: { cycle: true, start: 0, playOffset: 0 },
    },
  ]);
  assert.deepEqual(detail({ ...minimal, backgrounds: [{ url: 'a', fileId }], foregrounds: [{}] }), [
    { field: 'param.backgrounds[0]', problem: 'give url or fileId, one of them' },
    { field: 'param.foregrounds[0]', problem: 'give url or fileId, one of them' },
  ]);
  assert.deepEqual(
    detail({ ...minimal, foregrounds: [{ url: 'a' }, { url: 'b', rect: [0, 0, 0, 5] }] }),
    one('param.foregrounds[1].rect', 'is [x, y, width, height] with a positive size'),
  );
  assert.deepEqual(
    detail({ ...minimal, backgrounds: [{ fileId: 'not-hex' }] }),
    one('param.backgrounds.0.fileId', 'must match pattern "^[0-9a-f]{32}$"'),
  );
  assert.deepEqual(
    detail({ ...minimal, foregrounds: Array.from({ length: 5 }, () => ({ url: 'a' })) }),
    one('param.foregrounds', 'must not have more than 4 items'),
  );
  assert.deepEqual(
    detail({ ...minimal, foregrounds: [{ url: 'a', start: -1 }] }),
    one('param.foregrounds.0.start', 'must be >= 0'),
  );
});

test('photo create: imageUrl is the avatar and audioUrl the speech; elsewhere both are refused', () => {
  const photo = parseVideoParam(
    { imageUrl: 'https://example.com/me.jpg', audioUrl: 'https://example.com/me.wav' },
    true,
  );
  assert.equal(photo.imageUrl, 'https://example.com/me.jpg');
  assert.deepEqual(photo.speech, { kind: 'audio', source: { url: 'https://example.com/me.wav' } });
  assert.deepEqual(photo.avatar, { rotation: 0, zPosition: 0, startFrame: 0 });
  assert.deepEqual(detail({ digital_role: { url: 'u' }, tts_query: speech }, true), [
    { field: 'param.imageUrl', problem: 'give the photo to animate' },
    {
      field: 'param.digital_role',
      problem: 'the photo is the avatar here: leave out url and face_feature_id',
    },
  ]);
  const elsewhere = 'belongs to single/image/video/create; here use digital_role and audios';
  assert.deepEqual(detail({ ...minimal, imageUrl: 'i' }), one('param.imageUrl', elsewhere));
  assert.deepEqual(
    detail({ digital_role: avatar, audioUrl: 'a' }),
    one('param.audioUrl', elsewhere),
  );
});

test('param itself: refused when not JSON, not an object, ill-formed, or with unknown fields', () => {
  assert.deepEqual(detail('{not json'), one('param', 'is a string but not valid JSON'));
  const notObject = one('param', 'must be an object (or a JSON string of one)');
  for (const raw of [42, null, [], '[1]', '"text"']) {
    assert.deepEqual(detail(raw), notObject, JSON.stringify(raw));
  }
  assert.deepEqual(
    detail('{"tts_query": {"content": "\\ud800"}}'),
    one(
      'param.tts_query.content',
      'is not well-formed Unicode text (it holds a lone UTF-16 surrogate)',
    ),
  );
  assert.deepEqual(detail({ ...minimal, colour: 'red' }), [
    { field: 'param.colour', problem: 'schema is false' },
    { field: 'param', problem: 'must not have additional properties' },
  ]);
  // Many faults at once: at most five of the shape's, so an answer stays readable.
  const many = detail({ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 });
  assert.equal(many.length, 5);
});

test("every fault of the param's meaning is reported at once, in the order of its sections", () => {
  assert.deepEqual(
    detail({
      video_format: 'avi',
      resolution: [63, 64],
      watermark: { show: true },
      foregrounds: [{ url: 'a', fileId }],
      digital_role: { z_position: 3 },
    }),
    [
      { field: 'param.video_format', problem: 'must be "MP4" or "WebM"' },
      {
        field: 'param.resolution',
        problem: 'must be [width, height], even numbers from 64 to 1920',
      },
      { field: 'param.watermark.content', problem: 'give the text to show' },
      { field: 'param.digital_role', problem: 'give the avatar model: url or face_feature_id' },
      {
        field: 'param.tts_query',
        problem: 'give the speech: tts_query (with tts_config) or audios, one of them',
      },
      { field: 'param.foregrounds[0]', problem: 'give url or fileId, one of them' },
      {
        field: 'param.digital_role.z_position',
        problem: 'is how many foregrounds the avatar covers: 0 to 1 here',
      },
    ],
  );
});
