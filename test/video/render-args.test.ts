/**
 * The render's ffmpeg command, read as text: no ffmpeg runs here. Each graph is the one the
 * renderer ran before the builders were pulled out (checked argument for argument).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildAvatarChain,
  buildLayerInputArgs,
  buildRenderArgs,
  buildRenderCodecArgs,
  buildRenderFilterGraph,
  buildSoundGain,
  buildThumbnailArgs,
  fontFile,
  renderFrameCount,
  type RenderSpec,
} from '../../src/video/render.args.js';

/** A 360x288 avatar scaled 1.25 (450x360) on a 640x360 output. */
const spec: RenderSpec = {
  avatar: { width: 360, height: 288 },
  audio: '/w/speech.wav',
  durationMs: 1000,
  width: 640,
  height: 360,
  fps: 25,
  format: 'mp4',
  preset: 'veryfast',
  placement: { x: 95, y: 0, scale: 1.25 },
  out: '/w/video.mp4',
};

const avatar = '[0:v]scale=450:360:flags=bilinear,format=yuv420p';
const black = 'color=c=black:s=640x360:r=25,format=yuv420p';
const overAvatar = (under: string, x = 95, y = 0) =>
  `[${under}][avatar]overlay=x=${x}:y=${y}:shortest=1:eof_action=endall:format=yuv420[withAvatar]`;

const steps = (graph: string) => graph.split(';');

test('alone on black and wholly inside: the avatar is padded, no canvas or overlay', () => {
  assert.deepEqual(steps(buildRenderFilterGraph(spec)), [
    `${avatar},pad=640:360:95:0:black[base]`,
    '[base]format=yuv420p[out]',
  ]);
});

test('an avatar reaching past an edge is laid over a black canvas instead', () => {
  for (const placement of [
    { ...spec.placement, x: -10 },
    { ...spec.placement, y: 1 },
  ]) {
    const graph = steps(buildRenderFilterGraph({ ...spec, placement }));
    assert.deepEqual(graph, [
      `${avatar}[avatar]`,
      `${black}[base]`,
      overAvatar('base', placement.x, placement.y),
      '[withAvatar]format=yuv420p[out]',
    ]);
  }
});

test('a whole-frame background is the base; the avatar is keyed over it', () => {
  const key = { colour: 0x0000ff, similarity: 0.1, blend: 0.05 };
  const graph = steps(
    buildRenderFilterGraph({
      ...spec,
      background: { file: '/b.png', kind: 'image' },
      chromaKey: key,
    }),
  );
  assert.deepEqual(graph, [
    '[0:v]crop=iw-4:ih-4:2:2,format=yuva444p,chromakey=0x0000ff:0.1:0.05,scale=450:360:flags=bilinear[avatar]',
    // A picture is scaled once, then repeated and numbered at the frame rate.
    '[2:v]scale=640:360:force_original_aspect_ratio=increase,crop=640:360,setsar=1,format=yuv420p,loop=loop=-1:size=1,settb=1/25,setpts=N,setpts=PTS-STARTPTS[bg]',
    overAvatar('bg'),
    '[withAvatar]format=yuv420p[out]',
  ]);
});

test('the chroma key is used only over a background', () => {
  const key = { colour: 0x123456, similarity: 0.1, blend: 0.05 };
  assert.doesNotMatch(buildRenderFilterGraph({ ...spec, chromaKey: key }), /chromakey/);
  const chain = buildAvatarChain({
    ...spec,
    chromaKey: key,
    background: { file: '/b', kind: 'image' },
  });
  assert.match(chain.chain, /chromakey=0x123456:0\.1:0\.05/);
});

test('a placed, timed background sits on black, cut to its duration and shifted to its start', () => {
  const graph = steps(
    buildRenderFilterGraph({
      ...spec,
      background: {
        file: '/b.mp4',
        kind: 'video',
        rect: [10.4, 20, 301, 199],
        timing: { cycle: true, start: 1.5, playOffset: 0, duration: 2 },
      },
    }),
  );
  assert.deepEqual(graph, [
    `${avatar}[avatar]`,
    '[2:v]fps=25,scale=302:200:force_original_aspect_ratio=increase,crop=302:200,setsar=1,format=yuv420p,trim=duration=2.000,setpts=PTS-STARTPTS+1.500/TB[bg]',
    `${black}[canvas]`,
    // Gone after its duration (pass), not held on its last frame.
    '[canvas][bg]overlay=x=10:y=20:eof_action=pass[base]',
    overAvatar('base'),
    '[withAvatar]format=yuv420p[out]',
  ]);
});

test('z_position puts the avatar between the foregrounds, in their order', () => {
  const foregrounds = [
    { file: '/f0.png', kind: 'image', rect: [0, 0, 100, 50] },
    { file: '/f1.mp4', kind: 'video', timing: { cycle: false, start: 0.5, playOffset: 1 } },
  ] as const;
  const fg0 = [
    '[2:v]scale=100:50,format=yuva420p,loop=loop=-1:size=1,settb=1/25,setpts=N,setpts=PTS-STARTPTS[fg0]',
    (under: string) => `[${under}][fg0]overlay=x=0:y=0:eof_action=repeat:format=yuv420[l0]`,
  ] as const;
  const fg1 = [
    '[3:v]fps=25,scale=640:360,format=yuva420p,setpts=PTS-STARTPTS+0.500/TB[fg1]',
    (under: string) => `[${under}][fg1]overlay=x=0:y=0:eof_action=repeat:format=yuv420[l1]`,
  ] as const;
  const graph = (zPosition: number) =>
    steps(
      buildRenderFilterGraph({ ...spec, placement: { ...spec.placement, zPosition }, foregrounds }),
    );
  const head = [`${avatar}[avatar]`, `${black}[base]`];
  // Under all of them and wholly inside: padded, the base the foregrounds go over.
  assert.deepEqual(graph(0), [
    `${avatar},pad=640:360:95:0:black[base]`,
    fg0[0],
    fg0[1]('base'),
    fg1[0],
    fg1[1]('l0'),
    '[l1]format=yuv420p[out]',
  ]);
  assert.deepEqual(graph(1), [
    ...head,
    fg0[0],
    fg0[1]('base'),
    overAvatar('l0'),
    fg1[0],
    fg1[1]('withAvatar'),
    '[l1]format=yuv420p[out]',
  ]);
  // Over all of them; a number past the count means the same.
  const top = [...head, fg0[0], fg0[1]('base'), fg1[0], fg1[1]('l0'), overAvatar('l1')];
  assert.deepEqual(graph(2), [...top, '[withAvatar]format=yuv420p[out]']);
  assert.deepEqual(graph(7), [...top, '[withAvatar]format=yuv420p[out]']);
});

test('a rotated avatar keeps its alpha, turns in a box that fits it, and stays centred', () => {
  const chain = buildAvatarChain({
    ...spec,
    placement: { x: 100, y: 50, scale: 0.5, rotation: 90 },
  });
  // 180x144 turned a quarter: a 144x180 box, its corner moved so the centre stays put.
  assert.deepEqual(chain, {
    chain: '[0:v]scale=180:144:flags=bilinear,format=yuva420p,rotate=1.570796:ow=144:oh=180:c=none',
    x: 118,
    y: 32,
    w: 180,
    h: 144,
  });
  // Never padded: the corners outside the turned picture must show what is under it.
  const graph = buildRenderFilterGraph({
    ...spec,
    placement: { x: 100, y: 50, scale: 0.5, rotation: 90 },
  });
  assert.doesNotMatch(graph, /pad=/);
  assert.match(graph, /\[base\]\[avatar\]overlay=x=118:y=32:/);
});

test('the watermark and subtitles go on top, their paths quoted for the filter', () => {
  const graph = steps(
    buildRenderFilterGraph({
      ...spec,
      watermark: { file: "/w/it's:mark.txt" },
      burnSubtitles: '/w/sub:titles.srt',
    }),
  );
  assert.deepEqual(graph.slice(-3), [
    `[base]drawtext=fontfile='${fontFile}':textfile='/w/it\\'s\\:mark.txt':expansion=none:fontsize=15:fontcolor=white@0.55:x=w-tw-15:y=h-th-15[marked]`,
    "[marked]subtitles=filename='/w/sub\\:titles.srt':force_style='FontName=WenQuanYi Micro Hei,FontSize=18,Outline=1.5,MarginV=18'[subbed]",
    '[subbed]format=yuv420p[out]',
  ]);
});

test('layer inputs: a picture is read once (the graph repeats it); a video loops unless told, from its offset', () => {
  assert.deepEqual(buildLayerInputArgs({ file: '/p.png', kind: 'image' }), ['-i', '/p.png']);
  assert.deepEqual(buildLayerInputArgs({ file: '/v.mp4', kind: 'video' }), [
    ...['-stream_loop', '-1', '-i', '/v.mp4'],
  ]);
  const once = { cycle: false, start: 0, playOffset: 1.25 };
  assert.deepEqual(buildLayerInputArgs({ file: '/v.mp4', kind: 'video', timing: once }), [
    ...['-ss', '1.250', '-i', '/v.mp4'],
  ]);
});

test('codecs: x264 at a quality or a capped bit rate with AAC; VP9 with Opus for WebM', () => {
  assert.deepEqual(buildRenderCodecArgs({ format: 'mp4', preset: 'veryfast' }), [
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20'],
    ...['-c:a', 'aac', '-aac_coder', 'fast', '-b:a', '128k', '-movflags', '+faststart'],
    ...['-ar', '48000'],
  ]);
  assert.deepEqual(
    buildRenderCodecArgs({ format: 'mp4', preset: 'ultrafast', bitRateMbps: 2.5 }).slice(0, 10),
    [
      ...['-c:v', 'libx264', '-preset', 'ultrafast'],
      '-b:v',
      '2.5M',
      '-maxrate',
      '2.5M',
      '-bufsize',
      '5M',
    ],
  );
  assert.deepEqual(buildRenderCodecArgs({ format: 'webm', preset: 'veryfast' }), [
    ...['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-row-mt', '1'],
    ...['-crf', '32', '-b:v', '0', '-c:a', 'libopus', '-b:a', '96k', '-ar', '48000'],
  ]);
});

test('the whole command: frames on stdin, sound, layers in order, cut to whole frames', () => {
  assert.equal(renderFrameCount(1001, 25), 26);
  assert.equal(renderFrameCount(0, 25), 1);
  const args = buildRenderArgs({
    ...spec,
    durationMs: 1001,
    background: { file: '/b.png', kind: 'image' },
    foregrounds: [{ file: '/f.mp4', kind: 'video' }],
  });
  const graph = args[args.indexOf('-filter_complex') + 1] ?? '';
  assert.deepEqual(args.slice(0, args.indexOf('-filter_complex')), [
    ...['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', '360x288', '-r', '25', '-i', '-'],
    ...['-i', '/w/speech.wav'],
    ...['-i', '/b.png'],
    ...['-stream_loop', '-1', '-i', '/f.mp4'],
  ]);
  assert.match(graph, /^\[0:v\].*\[2:v\].*\[3:v\].*\[out\]$/);
  assert.deepEqual(args.slice(args.indexOf('-filter_complex') + 2, args.indexOf('-c:v')), [
    ...['-map', '[out]', '-map', '1:a'],
  ]);
  // 26 frames at 25 fps: 1.040 s, the frames' own length rather than the speech's.
  assert.deepEqual(args.slice(-5), ['-r', '25', '-t', '1.040', '/w/video.mp4']);
});

test('a recording brought to the loudness target: its gain through the limiter, the limited sound mapped', () => {
  const args = buildRenderArgs({ ...spec, audioGainDb: 6 });
  const graph = args[args.indexOf('-filter_complex') + 1] ?? '';
  assert.ok(
    graph.endsWith(';[1:a]alimiter=level_in=1.9953:limit=0.7943:level=false:latency=true[sound]'),
    graph,
  );
  assert.deepEqual(args.slice(args.indexOf('-filter_complex') + 2, args.indexOf('-c:v')), [
    ...['-map', '[out]', '-map', '[sound]'],
  ]);
  assert.equal(
    buildSoundGain(60),
    'alimiter=level_in=64.0000:limit=0.7943:level=false:latency=true',
  );
});

test('speech made while rendering: raw sound on pipe:3, neither pipe probed, no cut (the pipes end it)', () => {
  const args = buildRenderArgs({
    avatar: spec.avatar,
    width: spec.width,
    height: spec.height,
    fps: spec.fps,
    format: spec.format,
    preset: spec.preset,
    placement: spec.placement,
    out: spec.out,
    audio: { sampleRate: 22050 },
    background: { file: '/b.png', kind: 'image' },
  });
  const noProbe = ['-probesize', '32', '-analyzeduration', '0'];
  assert.deepEqual(args.slice(0, args.indexOf('-filter_complex')), [
    ...noProbe,
    ...['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', '360x288', '-r', '25', '-i', '-'],
    ...['-f', 's16le', '-ar', '22050', '-ac', '1', ...noProbe, '-i', 'pipe:3'],
    ...['-i', '/b.png'],
  ]);
  const graph = args[args.indexOf('-filter_complex') + 1] ?? '';
  assert.equal(
    graph,
    buildRenderFilterGraph({ ...spec, background: { file: '/b.png', kind: 'image' } }),
  );
  assert.ok(args.includes('1:a'));
  assert.ok(!args.includes('-t'), args.join(' '));
  assert.deepEqual(args.slice(-3), ['-r', '25', '/w/video.mp4']);
});

test('the thumbnail is the first frame as a JPEG', () => {
  assert.deepEqual(buildThumbnailArgs('/w/v.mp4', '/w/t.jpg'), [
    ...['-i', '/w/v.mp4', '-frames:v', '1', '-q:v', '3', '/w/t.jpg'],
  ]);
});
