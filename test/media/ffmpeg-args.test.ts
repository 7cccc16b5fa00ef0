/** The media area's ffmpeg commands, read as text: no ffmpeg runs here. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildBaseVideoArgs,
  buildForwardBackArgs,
  buildFrameDecodeArgs,
  buildPcmDecodeArgs,
  buildPcmFilterArgs,
  buildRgbEncodeArgs,
  buildRgbInputArgs,
  buildTileArgs,
  evenSize,
} from '../../src/media/ffmpeg.args.js';

test('raw RGB frames come from stdin at their size and rate', () => {
  assert.deepEqual(buildRgbInputArgs(361, 288, 30), [
    ...['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', '361x288', '-r', '30', '-i', '-'],
  ]);
});

test('an RGB encode cuts odd sides to even and keeps its defaults unless asked', () => {
  assert.equal(evenSize(361), 360);
  assert.equal(evenSize(288), 288);
  const args = buildRgbEncodeArgs('/w/base.mp4', { width: 361, height: 287, fps: 25 });
  assert.deepEqual(args.slice(10), [
    ...['-vf', 'crop=360:286:0:0,format=yuv420p'],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18'],
    ...['-movflags', '+faststart', '/w/base.mp4'],
  ]);
  const asked = buildRgbEncodeArgs('/w/o.mp4', {
    width: 2,
    height: 2,
    fps: 25,
    preset: 'ultrafast',
    crf: 30,
  });
  assert.deepEqual(asked.slice(14, 18), ['-preset', 'ultrafast', '-crf', '30']);
});

test("a model's base video is the chosen stretch of frames, silent, cropped from the top left", () => {
  assert.deepEqual(
    buildBaseVideoArgs({
      file: '/w/clip.mov',
      fps: 25,
      startFrame: 12,
      endFrame: 87,
      width: 358,
      height: 286,
      out: '/w/base.mp4',
    }),
    [
      ...['-i', '/w/clip.mov', '-map', '0:v:0', '-vf'],
      'fps=25,trim=start_frame=12:end_frame=87,setpts=PTS-STARTPTS,crop=358:286:0:0,format=yuv420p',
      '-an',
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-movflags', '+faststart'],
      '/w/base.mp4',
    ],
  );
});

test("a sample's sound is decoded to mono 16-bit PCM at the asked rate, on stdout", () => {
  assert.deepEqual(buildPcmDecodeArgs('/w/sample.m4a', 16000), [
    ...['-i', '/w/sample.m4a', '-map', '0:a:0', '-ac', '1', '-ar', '16000', '-f', 's16le', '-'],
  ]);
});

test('a recording is decoded no further than its cap', () => {
  assert.deepEqual(buildPcmDecodeArgs('/w/r.mp3', 16000, 61), [
    ...['-i', '/w/r.mp3', '-map', '0:a:0', '-ac', '1', '-ar', '16000'],
    ...['-t', '61', '-f', 's16le', '-'],
  ]);
});

test('frames decode at a constant rate and size; picked frames keep their own times', () => {
  assert.deepEqual(buildFrameDecodeArgs('/w/c.mp4', { fps: 25, width: 320, height: 240 }), [
    ...['-i', '/w/c.mp4', '-map', '0:v:0', '-vf', 'fps=25,scale=320:240:flags=bicubic'],
    ...['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
  ]);
  const picked = buildFrameDecodeArgs('/w/c.mp4', {
    fps: 25,
    width: 320,
    height: 240,
    only: [3, 40],
    maxSeconds: 2.5,
  });
  assert.deepEqual(picked.slice(4), [
    '-vf',
    "fps=25,select='eq(n\\,3)+eq(n\\,40)',scale=320:240:flags=bicubic",
    ...['-vsync', 'passthrough', '-t', '2.500'],
    ...['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
  ]);
});

test('raw speech goes through an audio filter from stdin to stdout, in and out alike', () => {
  assert.deepEqual(buildPcmFilterArgs(22050, 'anull'), [
    ...['-f', 's16le', '-ar', '22050', '-ac', '1', '-i', 'pipe:0', '-af', 'anull'],
    ...['-f', 's16le', '-ar', '22050', '-ac', '1', 'pipe:1'],
  ]);
});

test("a model's preview: its mouths tiled on white, its base played forward then back", () => {
  assert.deepEqual(buildTileArgs('/w/mouth_%d.png', 3, 3, '/o/sheet.png'), [
    ...['-start_number', '0', '-i', '/w/mouth_%d.png'],
    ...['-vf', 'tile=3x3:padding=4:color=white', '-frames:v', '1', '/o/sheet.png'],
  ]);
  const loop = buildForwardBackArgs('/w/base.mp4', '/o/loop.mp4');
  assert.deepEqual(loop.slice(0, 3), ['-i', '/w/base.mp4', '-filter_complex']);
  assert.equal(
    loop[3],
    '[0:v]split[forward][back];[back]reverse[backward];[forward][backward]concat=n=2:v=1[v]',
  );
  assert.deepEqual(loop.slice(4), [
    ...['-map', '[v]', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20'],
    ...['-pix_fmt', 'yuv420p', '/o/loop.mp4'],
  ]);
});
