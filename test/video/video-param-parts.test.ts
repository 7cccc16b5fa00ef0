/**
 * The sections parseVideoParam is made of, each on its own: reading the param, then the output,
 * the avatar, the speech and the layers, each adding its faults to one list in that order.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FieldProblem } from '../../src/errors/app-error.js';
import {
  parseVideoParam,
  readVideoParam,
  validateAvatarSource,
  validateLayers,
  validateOutput,
  validateSpeech,
  type VideoParam,
} from '../../src/video/video-param.js';
import { refusal } from '../helpers/media.js';

const fields = (problems: readonly FieldProblem[]) => problems.map((p) => p.field);

test('the param is read from an object or a JSON string of one, and checked against its shape', () => {
  assert.deepEqual(readVideoParam('{"frame_rate":30}'), { frame_rate: 30 });
  assert.deepEqual(refusal(() => readVideoParam('{"frame_rate":')).detail, [
    { field: 'param', problem: 'is a string but not valid JSON' },
  ]);
  assert.deepEqual(fields(refusal(() => readVideoParam('"\\ud800"')).detail ?? []), ['param']);
  assert.deepEqual(
    fields(
      refusal(() => readVideoParam('{"watermark":{"show":true,"content":"\\ud800"}}')).detail ?? [],
    ),
    ['param.watermark.content'],
  );
  for (const raw of [null, 42, [], '[]']) {
    assert.deepEqual(refusal(() => readVideoParam(raw)).detail, [
      { field: 'param', problem: 'must be an object (or a JSON string of one)' },
    ]);
  }
  assert.deepEqual(fields(refusal(() => readVideoParam({ frame_rate: 61 })).detail ?? []), [
    'param.frame_rate',
  ]);
});

test('output: MP4 unless WebM, an even size in range, a watermark with its text', () => {
  const refuse: FieldProblem[] = [];
  assert.deepEqual(validateOutput({}, refuse), { format: 'mp4' });
  assert.deepEqual(
    validateOutput(
      { video_format: 'WebM', resolution: [640, 360], watermark: { show: true, content: ' hi ' } },
      refuse,
    ),
    { format: 'webm', resolution: [640, 360], watermark: 'hi' },
  );
  assert.deepEqual(validateOutput({ watermark: { show: false, content: 'x' } }, refuse), {
    format: 'mp4',
  });
  assert.deepEqual(refuse, []);
  validateOutput(
    { video_format: 'avi', resolution: [641, 360], watermark: { show: true, content: '  ' } },
    refuse,
  );
  assert.deepEqual(fields(refuse), [
    'param.video_format',
    'param.resolution',
    'param.watermark.content',
  ]);
});

test('avatar: a model for video/create, the photo (and no model) for the photo route', () => {
  const faults = (param: VideoParam, photo: boolean) => {
    const refuse: FieldProblem[] = [];
    validateAvatarSource(param, photo, refuse);
    return fields(refuse);
  };
  assert.deepEqual(faults({ digital_role: { face_feature_id: 'a' } }, false), []);
  assert.deepEqual(faults({}, false), ['param.digital_role']);
  assert.deepEqual(faults({ digital_role: { url: 'u' }, audioUrl: 'a' }, false), [
    'param.audioUrl',
  ]);
  assert.deepEqual(faults({ imageUrl: 'p' }, true), []);
  assert.deepEqual(faults({ digital_role: { url: 'u' } }, true), [
    'param.imageUrl',
    'param.digital_role',
  ]);
});

test('speech: text with its voice settings, or one recording, never both or neither', () => {
  const refuse: FieldProblem[] = [];
  assert.deepEqual(
    validateSpeech(
      {
        tts_query: { content: 'Hello', ssml: true },
        tts_config: { id: 'v', language: 'en-US', speed_ratio: 1.5, pitch_offset: 0, volume: 2 },
      },
      refuse,
    ),
    {
      kind: 'tts',
      text: 'Hello',
      ssml: true,
      voice: 'v',
      language: 'en-US',
      speedRatio: 1.5,
      pitchOffset: 0,
      volume: 2,
    },
  );
  assert.deepEqual(
    validateSpeech({ audioUrl: 'http://x/a.mp3', tts_config: { id: 'v' } }, refuse),
    {
      kind: 'audio',
      source: { url: 'http://x/a.mp3' },
    },
  );
  assert.deepEqual(refuse, []);
  validateSpeech({}, refuse);
  validateSpeech({ tts_query: { content: 'x' }, audios: [{ url: 'u' }] }, refuse);
  assert.deepEqual(fields(refuse), ['param.tts_query', 'param.tts_query']);
});

test('layers: url or fileId, a positive rect, timing defaults, and z_position within the count', () => {
  const refuse: FieldProblem[] = [];
  assert.deepEqual(
    validateLayers(
      {
        backgrounds: [{ url: 'b', duration: -1 }],
        foregrounds: [
          { fileId: '0123456789abcdef0123456789abcdef', rect: [1, 2, 3, 4], duration: 2 },
        ],
        digital_role: { z_position: 1 },
      },
      refuse,
    ),
    {
      background: { source: { url: 'b' }, timing: { cycle: true, start: 0, playOffset: 0 } },
      foregrounds: [
        {
          source: { fileId: '0123456789abcdef0123456789abcdef' },
          rect: [1, 2, 3, 4],
          timing: { cycle: true, start: 0, playOffset: 0, duration: 2 },
        },
      ],
    },
  );
  assert.deepEqual(refuse, []);
  validateLayers(
    {
      backgrounds: [{ url: 'b', fileId: '0123456789abcdef0123456789abcdef' }],
      foregrounds: [{ rect: [0, 0, 0, 5] }],
      digital_role: { z_position: 2 },
    },
    refuse,
  );
  assert.deepEqual(fields(refuse), [
    'param.backgrounds[0]',
    'param.foregrounds[0]',
    'param.foregrounds[0].rect',
    'param.digital_role.z_position',
  ]);
});

test('parseVideoParam reports every section’s faults at once, in the order of the sections', () => {
  const error = refusal(() =>
    parseVideoParam({
      video_format: 'avi',
      digital_role: { z_position: 1 },
      foregrounds: [],
    }),
  );
  assert.deepEqual(fields(error.detail ?? []), [
    'param.video_format',
    'param.digital_role',
    'param.tts_query',
    'param.digital_role.z_position',
  ]);
});
