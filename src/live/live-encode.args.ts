/**
 * The live session's one encoder, as a pure function of what is asked (STYLE: pure builders, one
 * runner): frames on stdin and raw sound on pipe:3 in, one H.264 encode fanned out by ffmpeg's
 * `tee` muxer to HLS, RTP for WebRTC and MPEG-TS on stdout for the RTMP relay. The frames are
 * either composed pictures of the output size, or the avatar's own RGB frames that the encoder
 * composes over the look's layers itself, with the video renderer's graph. Nothing runs here.
 */
import {
  buildLayerInputArgs,
  buildRenderFilterGraph,
  compositionLayers,
  type CompositionSpec,
} from '../video/render.args.js';

export interface LiveEncodeSpec {
  /** The output's size (even sides); without `composition`, stdin carries yuv420p frames of it. */
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** Raw s16le mono sound at this rate on pipe:3 (frame n carries its share of samples). */
  readonly sampleRate: number;
  /**
   * When given, stdin carries the avatar's RGB frames (its own size) and the encoder composes
   * them over this look's layers: one process, and no output-size frame crosses a pipe.
   */
  readonly composition?: CompositionSpec;
  /** x264's preset; veryfast unless asked. */
  readonly preset?: string;
  /** Target video rate; maxrate equals it and the buffer holds one second, so it stays near CBR. */
  readonly videoKbps?: number;
  readonly hls: {
    /** The session's own directory: a plain path (letters, digits, `/._-`), made by the caller. */
    readonly dir: string;
    readonly segmentSeconds: number;
  };
  /** Loopback ports that receive RTP for the WebRTC forwarder; no RTP when absent. */
  readonly rtp?: { readonly videoPort: number; readonly audioPort: number };
  /** MPEG-TS (H.264 + AAC) on stdout for the RTMP relay. */
  readonly transport: boolean;
}

export const liveEncodeDefaults = {
  preset: 'veryfast',
  videoKbps: 2500,
  aacKbps: 96,
  opusKbps: 48,
  /** Segments listed in the playlist. */
  hlsListSize: 6,
  /**
   * Segments kept on disk after they leave the playlist: a player that read an older playlist
   * still finds them (NOTES: a tight window with delete_segments made hls.js fetch deleted
   * segments and stall).
   */
  hlsKeepAfterList: 6,
  /** RTP packets stay under the WebRTC path's MTU once SRTP and the forwarder's headers are added. */
  rtpPacketBytes: 1200,
  videoPayloadType: 96,
  audioPayloadType: 97,
  /** The rate Opus runs at (WebRTC) and AAC is resampled to (what players and ingests expect). */
  outputSampleRate: 48000,
} as const;

/** The HLS files the encoder writes into the session directory (hls-serve.ts serves only these). */
export const hlsNames = {
  playlist: 'index.m3u8',
  init: 'init.mp4',
  /** ffmpeg's pattern for the media segments: seg-00000.m4s, seg-00001.m4s, … */
  segmentPattern: 'seg-%05d.m4s',
} as const;

/** tee's slave syntax escapes `:`, `|`, `[`, `]`, `'` and `\`; the directory is ours, so plain. */
const plainPath = /^[A-Za-z0-9/._-]+$/;

export function buildLiveEncodeArgs(spec: LiveEncodeSpec): string[] {
  if (!plainPath.test(spec.hls.dir)) {
    throw new Error(`the HLS directory must be a plain path, not ${JSON.stringify(spec.hls.dir)}`);
  }
  const outputs = [
    hlsSlave(spec.hls),
    ...(spec.rtp ? rtpSlaves(spec.rtp) : []),
    ...(spec.transport ? [transportSlave] : []),
  ];
  const composition = spec.composition;
  if (composition && (composition.width !== spec.width || composition.height !== spec.height)) {
    throw new Error('the composition must be of the output size');
  }
  return [
    ...buildLiveInputArgs(spec),
    ...(composition
      ? ['-filter_complex', buildRenderFilterGraph(composition, 2), '-map', '[out]']
      : ['-map', '0:v']),
    ...['-map', '1:a'],
    ...(spec.rtp ? ['-map', '1:a'] : []),
    ...buildLiveVideoArgs(spec),
    ...buildLiveAudioArgs(spec.rtp !== undefined),
    // Every encoder puts its headers in extradata, which the fMP4 and TS outputs need from the start.
    ...['-flags', '+global_header'],
    // No waiting to interleave video with the audio encoders' later packets: measured at 720p25,
    // a frame's RTP leaves at p95 56 ms instead of 90 (bench/live-encode.ts).
    ...['-max_interleave_delta', '1'],
    ...['-f', 'tee', outputs.join('|')],
  ];
}

/**
 * Frames from stdin, sound from pipe:3, then the look's layers; frames and sound start at 0, so
 * their timestamps agree. ffmpeg opens its inputs one after the other and reads ahead in each to
 * learn what it holds: told that there is nothing to learn (the formats are given), it reads one
 * packet of each, so a writer that feeds both in step cannot block it at start.
 */
function buildLiveInputArgs(spec: LiveEncodeSpec): string[] {
  const noProbe = ['-probesize', '32', '-analyzeduration', '0'];
  const { composition } = spec;
  const frames = composition
    ? ['-pix_fmt', 'rgb24', '-s', `${composition.avatar.width}x${composition.avatar.height}`]
    : ['-pix_fmt', 'yuv420p', '-s', `${spec.width}x${spec.height}`];
  const layers = composition ? compositionLayers(composition) : [];
  return [
    ...['-f', 'rawvideo', ...frames, '-r', String(spec.fps), ...noProbe, '-i', 'pipe:0'],
    ...['-f', 's16le', '-ar', String(spec.sampleRate), '-ac', '1', ...noProbe, '-i', 'pipe:3'],
    ...layers.flatMap((layer) => buildLayerInputArgs(layer)),
  ];
}

/**
 * H.264 constrained baseline (what WebRTC's 42e01f asks for), no B-frames, no look-ahead
 * (zerolatency), one keyframe a second and none elsewhere (so every HLS segment starts with one),
 * SPS/PPS repeated before every IDR so an RTP viewer or a restarted relay can join at any keyframe.
 */
function buildLiveVideoArgs(spec: LiveEncodeSpec): string[] {
  const kbps = spec.videoKbps ?? liveEncodeDefaults.videoKbps;
  const gop = String(Math.round(spec.fps));
  return [
    ...['-c:v', 'libx264', '-preset', spec.preset ?? liveEncodeDefaults.preset],
    ...['-tune', 'zerolatency', '-profile:v', 'baseline', '-level:v', '3.1', '-bf', '0'],
    ...['-g', gop, '-keyint_min', gop, '-sc_threshold', '0'],
    ...['-x264-params', 'repeat-headers=1'],
    ...['-b:v', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps}k`],
  ];
}

/** AAC for HLS and MPEG-TS (output audio 0); Opus for WebRTC (output audio 1) when RTP is asked. */
function buildLiveAudioArgs(withOpus: boolean): string[] {
  const d = liveEncodeDefaults;
  return [
    ...['-ar', String(d.outputSampleRate), '-ac', '1'],
    ...['-c:a:0', 'aac', '-b:a:0', `${d.aacKbps}k`],
    ...(withOpus ? ['-c:a:1', 'libopus', '-b:a:1', `${d.opusKbps}k`] : []),
  ];
}

/** fMP4 segments of about segmentSeconds; the encoder stops if the session's own files fail. */
function hlsSlave(hls: LiveEncodeSpec['hls']): string {
  const d = liveEncodeDefaults;
  const options = [
    `select=\\'v:0,a:0\\'`,
    'f=hls',
    `hls_time=${hls.segmentSeconds}`,
    `hls_list_size=${d.hlsListSize}`,
    `hls_delete_threshold=${d.hlsKeepAfterList}`,
    // temp_file: the playlist is renamed into place, so a reader never sees half of it.
    'hls_flags=delete_segments+independent_segments+temp_file',
    'hls_segment_type=fmp4',
    `hls_fmp4_init_filename=${hlsNames.init}`,
    `hls_segment_filename=${hls.dir}/${hlsNames.segmentPattern}`,
  ];
  return `[${options.join(':')}]${hls.dir}/${hlsNames.playlist}`;
}

/** One RTP stream per port (RTP carries one stream); a missing listener must not stop the rest. */
function rtpSlaves(rtp: NonNullable<LiveEncodeSpec['rtp']>): string[] {
  const d = liveEncodeDefaults;
  const url = (port: number): string => `rtp://127.0.0.1:${port}?pkt_size=${d.rtpPacketBytes}`;
  return [
    `[select=\\'v:0\\':f=rtp:payload_type=${d.videoPayloadType}:onfail=ignore]${url(rtp.videoPort)}`,
    `[select=\\'a:1\\':f=rtp:payload_type=${d.audioPayloadType}:onfail=ignore]${url(rtp.audioPort)}`,
  ];
}

/** Flushed after every packet, so the relay gets each frame as soon as it is encoded. */
const transportSlave = `[select=\\'v:0,a:0\\':f=mpegts:flush_packets=1:onfail=ignore]pipe:1`;

/**
 * The relay's push: MPEG-TS from stdin, copied to FLV over RTMP. `-progress` on stdout reports
 * the bytes sent twice a second, which is how the relay knows the ingest is taking the stream.
 * Probing is kept short: the TS carries SPS/PPS and ADTS headers from its first keyframe.
 */
export function buildRtmpPushArgs(url: string): string[] {
  return [
    ...['-f', 'mpegts', '-analyzeduration', '1000000', '-probesize', '1000000', '-i', 'pipe:0'],
    ...['-map', '0', '-c', 'copy'],
    ...['-progress', 'pipe:1', '-stats_period', '0.5'],
    ...['-f', 'flv', '-flvflags', 'no_duration_filesize', url],
  ];
}
