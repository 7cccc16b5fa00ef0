import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { frameAt, trackFaces, type FaceTrack } from '../../src/avatar/face-track.js';
import { cropPoints, cutMouth } from '../../src/avatar/mouth-crop.js';
import { chooseAtlas, shapeOf, speakerRange } from '../../src/avatar/mouth-atlas.js';
import {
  mouthPointIndices,
  synthesiseMouth,
  type MouthImage,
} from '../../src/avatar/mouth-shapes.js';
import { visemes } from '../../src/avatar/visemes.js';
import { HumanFaceEngine } from '../../src/engines/face/human.engine.js';
import { decodeFrames } from '../../src/media/decode.js';
import { encodePng } from '../../src/media/png.js';
import { probeMedia } from '../../src/media/probe.js';
import { samplesDir } from '../../src/util/paths.js';
import { tempDir } from '../helpers/harness.js';

const grid = path.join(samplesDir, 'video', 'grid_bbaf2n.mpg');
const size = { width: 360, height: 288 };
let engine: HumanFaceEngine;
let track: FaceTrack;
const dir = tempDir();

before(async () => {
  engine = await HumanFaceEngine.load();
  track = await trackFaces(decodeFrames(grid, size, { fps: 25 }), engine, {
    modelId: 'm_s1',
    fileName: 'grid.mpg',
  });
});
after(async () => {
  await engine.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('every class gets a frame; closed is the least open, open the most', () => {
  const atlas = chooseAtlas(track.frames);
  assert.deepEqual(
    atlas.map((choice) => choice.viseme),
    [...visemes],
  );
  const openness = (viseme: string) => {
    const frame = atlas.find((choice) => choice.viseme === viseme)?.frame ?? -1;
    return track.frames[frame]?.mouth.openNorm ?? NaN;
  };
  assert.ok(openness('closed') < openness('mid'), `${openness('closed')} < ${openness('mid')}`);
  assert.ok(openness('mid') < openness('open'), `${openness('mid')} < ${openness('open')}`);
  assert.ok(
    atlas.filter((choice) => !choice.warpedFrom).length >= 4,
    'a speaking clip shows several shapes',
  );
});

test('mouth images are cut from the chosen frames and encode as PNG', async () => {
  const atlas = chooseAtlas(track.frames);
  const wanted = new Map(atlas.map((choice) => [choice.frame, choice.viseme]));
  const written: string[] = [];
  for await (const frame of decodeFrames(grid, size, { fps: 25 })) {
    const viseme = wanted.get(frame.index);
    if (!viseme) continue;
    const tracked = frameAt(track, frame.index);
    const mouth = cutMouth(frame.rgb, frame.width, frame.height, tracked);
    const file = path.join(dir, `${viseme}.png`);
    fs.writeFileSync(file, encodePng(mouth, 128, 128));
    written.push(file);
  }
  assert.ok(written.length >= 4);
  for (const file of written) {
    const info = await probeMedia(file);
    assert.equal(info.video?.codec, 'png');
    assert.deepEqual([info.video?.width, info.video?.height], [128, 128]);
  }
});

/** The mouth crop of one frame of the clip, with its mesh points in crop pixels. */
async function mouthAt(index: number): Promise<MouthImage> {
  const tracked = frameAt(track, index);
  for await (const frame of decodeFrames(grid, size, { fps: 25, only: [index] })) {
    return {
      rgb: cutMouth(frame.rgb, frame.width, frame.height, tracked),
      size: 128,
      points: cropPoints(tracked),
    };
  }
  throw new Error(`no frame ${index}`);
}

const luma = (rgb: Uint8Array, x: number, y: number) => {
  const at = (Math.round(y) * 128 + Math.round(x)) * 3;
  return 0.299 * (rgb[at] ?? 0) + 0.587 * (rgb[at + 1] ?? 0) + 0.114 * (rgb[at + 2] ?? 0);
};

/** Pixels of the lip area darker than half the crop's median: the open mouth's inside. */
function darkPixels(mouth: Uint8Array): number {
  const all: number[] = [];
  for (let y = 0; y < 128; y++) for (let x = 0; x < 128; x++) all.push(luma(mouth, x, y));
  const median = [...all].sort((a, b) => a - b)[all.length >> 1] ?? 0;
  let dark = 0;
  for (let y = 30; y < 90; y++)
    for (let x = 24; x < 104; x++) if (luma(mouth, x, y) < median * 0.5) dark++;
  return dark;
}

test('a closed mouth warped open shows a dark inside; the crop border does not move', async () => {
  const atlas = chooseAtlas(track.frames);
  const closedFrame = atlas.find((choice) => choice.viseme === 'closed')?.frame ?? 0;
  const source = await mouthAt(closedFrame);
  const opened = synthesiseMouth(source, {
    viseme: 'open',
    ...shapeOf('open', speakerRange(track.frames)),
  }).rgb;
  assert.ok(
    darkPixels(opened) > darkPixels(source.rgb) + 40,
    `dark pixels ${darkPixels(source.rgb)} → ${darkPixels(opened)}`,
  );
  let borderChange = 0;
  for (let k = 0; k < 128; k++) {
    for (const [x, y] of [
      [k, 0],
      [k, 127],
      [0, k],
      [127, k],
    ] as const) {
      borderChange = Math.max(borderChange, Math.abs(luma(opened, x, y) - luma(source.rgb, x, y)));
    }
  }
  assert.ok(borderChange <= 4, `the border changed by ${borderChange}`);
});

test('an open mouth warped closed loses its dark inside', async () => {
  const atlas = chooseAtlas(track.frames);
  const openFrame = atlas.find((choice) => choice.viseme === 'open')?.frame ?? 0;
  const source = await mouthAt(openFrame);
  const closed = synthesiseMouth(source, {
    viseme: 'closed',
    ...shapeOf('closed', speakerRange(track.frames)),
  }).rgb;
  assert.ok(
    darkPixels(source.rgb) > 40,
    `the open source shows its inside (${darkPixels(source.rgb)})`,
  );
  assert.ok(
    darkPixels(closed) < darkPixels(source.rgb) * 0.5,
    `dark pixels ${darkPixels(source.rgb)} → ${darkPixels(closed)}`,
  );
});

test("a mouth opened wider than its frame shows that frame's own teeth at their own height", async () => {
  const atlas = chooseAtlas(track.frames);
  const midFrame = atlas.find((choice) => choice.viseme === 'mid')?.frame ?? 0;
  const source = await mouthAt(midFrame);
  const range = speakerRange(track.frames);
  const before = track.frames[midFrame]?.mouth.openNorm ?? 0;
  const opened = synthesiseMouth(source, {
    viseme: 'open',
    openNorm: before + 2 * (range.widest - range.closed),
    widthNorm: track.frames[midFrame]?.mouth.widthNorm ?? 0,
  });
  // Down the middle of the mouth, from each one's upper inner lip (mesh point 13).
  const k = mouthPointIndices.indexOf(13);
  const column = (rgb: Uint8Array, x: number, y: number, rows: number) =>
    Array.from({ length: rows }, (_, d) => luma(rgb, x, y + d));
  const sourceX = source.points[13 * 2] ?? 0;
  const sourceTop = source.points[13 * 2 + 1] ?? 0;
  const gap = (source.points[14 * 2 + 1] ?? 0) - sourceTop;
  const rows = Math.floor(gap) - 1;
  assert.ok(rows >= 2, `the source shows an inside (${gap.toFixed(1)} px)`);
  const own = column(source.rgb, sourceX, sourceTop, rows);
  const shown = column(opened.rgb, opened.points[k * 2] ?? 0, opened.points[k * 2 + 1] ?? 0, rows);
  const differs = Math.max(...own.map((v, d) => Math.abs(v - (shown[d] ?? 0))));
  assert.ok(
    differs <= 24,
    `under the upper lip: ${own.map(Math.round).join()} → ${shown.map(Math.round).join()}`,
  );
  assert.ok(
    darkPixels(opened.rgb) > darkPixels(source.rgb) + 40,
    'the new depth below them is the dark inside',
  );
});
