import assert from 'node:assert/strict';
import { test } from 'node:test';
import { liveSlots, parseLiveScript, scriptLooks } from '../../src/live/live-script.js';
import { refusal } from '../helpers/media.js';

const faq = 'LiveStream:parse scenelist failed.pass video json to live?';
const scene = (content: string, extra: object = {}) => ({
  digital_role: { face_feature_id: 'abc_s1' },
  tts_config: { id: 'en-US-slt' },
  tts_query: { content },
  ...extra,
});

function refused(param: unknown): string[] {
  const error = refusal(() => parseLiveScript(param));
  assert.equal(error.code, 6005);
  assert.equal(error.message, faq);
  return (error.detail ?? []).map((problem) => `${problem.field}: ${problem.problem}`);
}

test('a script of scenes, as a JSON string: each scene checked, presenter and voice carried on', () => {
  const script = parseLiveScript(
    JSON.stringify({
      version: '1',
      recycle: true,
      sceneList: [
        scene('Welcome to the show.', { backgrounds: [{ url: 'https://example.com/a.png' }] }),
        { tts_query: { content: 'Second scene here.' }, effects: { zoom: 1 } },
      ],
    }),
  );
  assert.equal(script.recycle, true);
  assert.equal(script.scenes.length, 2);
  assert.equal(script.scenes[1]?.avatar.faceFeatureId, 'abc_s1');
  const speech = script.scenes[1]?.speech;
  assert.equal(speech?.kind === 'tts' ? speech.voice : undefined, 'en-US-slt');
  assert.equal(script.fps, 25);
  assert.deepEqual(script.warnings, [
    'param.sceneList[1].effects: effects are not applied by Anima',
  ]);
});

test('a video-synthesis param sent to live is refused with the FAQ message, saying so', () => {
  const detail = refused(scene('Hello there, everyone.'));
  assert.match(detail[0] ?? '', /^param: is a video-synthesis param/);
});

test('no scene list, an empty one, or text too short to present: refused, each named', () => {
  assert.match(refused({ recycle: true })[0] ?? '', /param.sceneList: give at least one scene/);
  assert.match(refused({ sceneList: [] })[0] ?? '', /give at least one scene/);
  assert.match(refused('{not json')[0] ?? '', /not valid JSON/);
  const short = refused({ sceneList: [scene('Welcome to the show.'), scene('Hi.')] });
  assert.deepEqual(short, [
    'param.sceneList[1].tts_query.content: is too short to present: at least 4 letters or digits',
  ]);
});

test("a scene's own faults are the video param's, named where they are in the script", () => {
  const detail = refused({
    sceneList: [
      scene('Welcome to the show.'),
      scene('Fine text here.', { frame_rate: 30, colour: 1 }),
    ],
  });
  assert.ok(
    detail.some((line) => line.startsWith('param.sceneList[1]')),
    detail.join('\n'),
  );
  const mixed = refused({
    sceneList: [scene('Welcome to the show.'), scene('Fine text here.', { frame_rate: 30 })],
  });
  assert.deepEqual(mixed, ['param.sceneList[1].frame_rate: must be the same in every scene']);
  assert.match(
    refused({ sceneList: [{ tts_query: { content: 'No presenter at all.' } }] }).join(),
    /digital_role/,
  );
});

test('looks: scenes that differ only in what is said share one (a session slot); another avatar place or layer makes two', () => {
  const looks = (...scenes: object[]) => {
    const script = parseLiveScript({ sceneList: scenes });
    return [scriptLooks(script), liveSlots(script)];
  };
  assert.deepEqual(looks(scene('First words here.'), scene('Other words here.')), [1, 1]);
  assert.deepEqual(
    looks(scene('First words here.'), { tts_query: { content: 'Inherited presenter.' } }),
    [1, 1],
  );
  const behind = { backgrounds: [{ url: 'https://example.com/a.png' }] };
  assert.deepEqual(looks(scene('First words here.'), scene('Over a picture.', behind)), [2, 2]);
  const placed = { digital_role: { face_feature_id: 'abc_s1', scale: 0.5 } };
  assert.deepEqual(
    looks(scene('One scene.', behind), scene('Two, smaller.', { ...behind, ...placed })),
    [2, 2],
  );
  assert.deepEqual(
    looks(
      scene('A.a.a.a.'),
      scene('B.b.b.b.', behind),
      scene('C.c.c.c.', { ...behind, ...placed }),
    ),
    [3, 2],
  );
});
