/** The live area's ffmpeg commands, read as text: no ffmpeg runs here. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildLiveEncodeArgs,
  buildRtmpPushArgs,
  type LiveEncodeSpec,
} from '../../src/live/live-encode.args.js';
import { buildRenderFilterGraph, type CompositionSpec } from '../../src/video/render.args.js';

const spec: LiveEncodeSpec = {
  width: 1280,
  height: 720,
  fps: 25,
  sampleRate: 16000,
  hls: { dir: '/data/live/s1', segmentSeconds: 1 },
  rtp: { videoPort: 40000, audioPort: 40002 },
  transport: true,
};

/** The value that follows a flag (the first time it appears). */
function after(args: readonly string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at < 0 ? undefined : args[at + 1];
}

test('frames come from stdin and sound from pipe:3, at the asked size and rates, unprobed', () => {
  const args = buildLiveEncodeArgs(spec);
  assert.deepEqual(args.slice(0, 12), [
    ...['-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', '1280x720', '-r', '25'],
    ...['-probesize', '32', '-analyzeduration', '0'],
  ]);
  assert.deepEqual(args.slice(12, 14), ['-i', 'pipe:0']);
  assert.deepEqual(args.slice(14, 26), [
    ...['-f', 's16le', '-ar', '16000', '-ac', '1', '-probesize', '32', '-analyzeduration', '0'],
    ...['-i', 'pipe:3'],
  ]);
});

test('video is zero-latency constrained baseline, no B-frames, a keyframe each second, near CBR', () => {
  const args = buildLiveEncodeArgs({ ...spec, fps: 30, preset: 'superfast', videoKbps: 1800 });
  const video = args.join(' ');
  assert.match(video, /-c:v libx264 -preset superfast -tune zerolatency/);
  assert.match(video, /-profile:v baseline -level:v 3\.1 -bf 0/);
  assert.match(video, /-g 30 -keyint_min 30 -sc_threshold 0/);
  assert.match(video, /-x264-params repeat-headers=1/);
  assert.match(video, /-b:v 1800k -maxrate 1800k -bufsize 1800k/);
  assert.equal(after(buildLiveEncodeArgs(spec), '-preset'), 'veryfast');
});

test('one encode fans out by tee to HLS, RTP video and audio, and MPEG-TS on stdout', () => {
  const args = buildLiveEncodeArgs(spec);
  assert.deepEqual(args.slice(26, 32), ['-map', '0:v', '-map', '1:a', '-map', '1:a']);
  assert.match(args.join(' '), /-c:a:0 aac .*-c:a:1 libopus/);
  assert.equal(after(args, '-ar'), '16000', 'the input rate first');
  assert.deepEqual(args.slice(-7, -3), ['-flags', '+global_header', '-max_interleave_delta', '1']);
  assert.equal(args.at(-2), 'tee');
  const [hls, rtpVideo, rtpAudio, transport, extra] = (args.at(-1) ?? '').split('|');
  assert.equal(extra, undefined);
  assert.equal(
    hls,
    "[select=\\'v:0,a:0\\':f=hls:hls_time=1:hls_list_size=6:hls_delete_threshold=6" +
      ':hls_flags=delete_segments+independent_segments+temp_file:hls_segment_type=fmp4' +
      ':hls_fmp4_init_filename=init.mp4:hls_segment_filename=/data/live/s1/seg-%05d.m4s]' +
      '/data/live/s1/index.m3u8',
  );
  assert.equal(
    rtpVideo,
    "[select=\\'v:0\\':f=rtp:payload_type=96:onfail=ignore]rtp://127.0.0.1:40000?pkt_size=1200",
  );
  assert.equal(
    rtpAudio,
    "[select=\\'a:1\\':f=rtp:payload_type=97:onfail=ignore]rtp://127.0.0.1:40002?pkt_size=1200",
  );
  assert.equal(transport, "[select=\\'v:0,a:0\\':f=mpegts:flush_packets=1:onfail=ignore]pipe:1");
});

test('without RTP there is no Opus stream; without transport nothing goes to stdout', () => {
  const args = buildLiveEncodeArgs({ ...spec, rtp: undefined, transport: false });
  assert.equal(args.filter((arg) => arg === '-map').length, 2);
  assert.ok(!args.includes('libopus'));
  const outputs = (args.at(-1) ?? '').split('|');
  assert.equal(outputs.length, 1);
  assert.match(outputs[0] ?? '', /f=hls/);
});

test("composing itself, the encoder reads the avatar's RGB frames, then the sound, then the look's layers, through the renderer's graph", () => {
  const composition: CompositionSpec = {
    avatar: { width: 360, height: 288 },
    width: 1280,
    height: 720,
    fps: 25,
    placement: { x: 190, y: 0, scale: 2.5 },
    background: { kind: 'image', file: '/data/files/bg.png' },
    foregrounds: [{ kind: 'video', file: '/data/files/fg.mp4' }],
  };
  const args = buildLiveEncodeArgs({ ...spec, composition });
  assert.deepEqual(args.slice(0, 14), [
    ...['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', '360x288', '-r', '25'],
    ...['-probesize', '32', '-analyzeduration', '0', '-i', 'pipe:0'],
  ]);
  assert.deepEqual(args.slice(24, 26), ['-i', 'pipe:3']);
  assert.deepEqual(args.slice(26, 32), [
    ...['-i', '/data/files/bg.png'],
    ...['-stream_loop', '-1', '-i', '/data/files/fg.mp4'],
  ]);
  assert.equal(after(args, '-filter_complex'), buildRenderFilterGraph(composition, 2));
  assert.deepEqual(args.slice(34, 40), ['-map', '[out]', '-map', '1:a', '-map', '1:a']);
  assert.throws(
    () => buildLiveEncodeArgs({ ...spec, composition: { ...composition, width: 640 } }),
    /output size/,
  );
});

test('an HLS directory that tee would misread is refused', () => {
  for (const dir of ['/data/a:b', '/data/a|b', "/data/a'b", '/data/a b', '/data/[x]']) {
    assert.throws(
      () => buildLiveEncodeArgs({ ...spec, hls: { dir, segmentSeconds: 1 } }),
      /plain path/,
    );
  }
});

test('the push copies MPEG-TS from stdin to FLV and reports its progress on stdout', () => {
  assert.deepEqual(buildRtmpPushArgs('rtmp://ingest.example/live/key'), [
    ...['-f', 'mpegts', '-analyzeduration', '1000000', '-probesize', '1000000', '-i', 'pipe:0'],
    ...['-map', '0', '-c', 'copy', '-progress', 'pipe:1', '-stats_period', '0.5'],
    ...['-f', 'flv', '-flvflags', 'no_duration_filesize', 'rtmp://ingest.example/live/key'],
  ]);
});
