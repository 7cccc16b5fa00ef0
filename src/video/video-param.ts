/**
 * The video `param` of the hosted API (a JSON string or an object), checked field by field and
 * turned into the job the renderer runs. Every field of the public shape is honoured or refused
 * with a message that names it; unknown fields are refused too, so a typo never goes unnoticed.
 */
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { badParams, type FieldProblem } from '../errors/app-error.js';
import type { MediaRef } from '../files/file.service.js';
import { findIllFormed, notWellFormed } from '../util/well-formed.js';

const Position = Type.Object(
  { x: Type.Number(), y: Type.Number() },
  { additionalProperties: false },
);

const Layer = Type.Object(
  {
    type: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(1)])),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    url: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    fileId: Type.Optional(Type.String({ pattern: '^[0-9a-f]{32}$' })),
    rect: Type.Optional(Type.Array(Type.Number(), { minItems: 4, maxItems: 4 })),
    /** A video layer loops (default) or plays once and holds its last frame. */
    cycle: Type.Optional(Type.Boolean()),
    /** Seconds into the output when the layer appears. */
    start: Type.Optional(Type.Number({ minimum: 0 })),
    /** Seconds into a video layer where it starts playing. */
    play_offset: Type.Optional(Type.Number({ minimum: 0 })),
    /** Seconds the layer shows; absent, 0 or -1: until the end. */
    duration: Type.Optional(Type.Number({ minimum: -1 })),
  },
  { additionalProperties: false },
);

export const VideoParamSchema = Type.Object(
  {
    version: Type.Optional(Type.String({ maxLength: 20 })),
    video_format: Type.Optional(Type.String()),
    resolution: Type.Optional(Type.Array(Type.Integer(), { minItems: 2, maxItems: 2 })),
    bit_rate: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 50 })),
    frame_rate: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 })),
    watermark: Type.Optional(
      Type.Object(
        { show: Type.Boolean(), content: Type.Optional(Type.String({ maxLength: 100 })) },
        { additionalProperties: false },
      ),
    ),
    digital_role: Type.Optional(
      Type.Object(
        {
          id: Type.Optional(Type.Union([Type.String(), Type.Number()])),
          face_feature_id: Type.Optional(Type.String({ maxLength: 100 })),
          name: Type.Optional(Type.String({ maxLength: 200 })),
          url: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
          position: Type.Optional(Position),
          scale: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10 })),
          z_position: Type.Optional(Type.Integer({ minimum: 0 })),
          rotation: Type.Optional(Type.Number({ minimum: -360, maximum: 360 })),
          start_frame_index: Type.Optional(Type.Integer({ minimum: 0 })),
          // Ours: how the avatar takes a frame of another shape when no scale is given.
          layout: Type.Optional(
            Type.Union([Type.Literal('height'), Type.Literal('fit'), Type.Literal('fill')]),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    tts_config: Type.Optional(
      Type.Object(
        {
          id: Type.Optional(Type.String({ maxLength: 100 })),
          name: Type.Optional(Type.String({ maxLength: 100 })),
          vendor_id: Type.Optional(Type.Union([Type.String(), Type.Number()])),
          language: Type.Optional(Type.String({ maxLength: 20 })),
          pitch_offset: Type.Optional(Type.Number()),
          speed_ratio: Type.Optional(Type.Number()),
          volume: Type.Optional(Type.Number()),
        },
        { additionalProperties: false },
      ),
    ),
    tts_query: Type.Optional(
      Type.Object(
        { content: Type.String({ minLength: 1 }), ssml: Type.Optional(Type.Boolean()) },
        { additionalProperties: false },
      ),
    ),
    audios: Type.Optional(
      Type.Array(
        Type.Object(
          { url: Type.String({ minLength: 1, maxLength: 4096 }) },
          { additionalProperties: false },
        ),
        { maxItems: 1 },
      ),
    ),
    backgrounds: Type.Optional(Type.Array(Layer, { maxItems: 1 })),
    foregrounds: Type.Optional(Type.Array(Layer, { maxItems: 4 })),
    /** single/image/video/create only: the photo, and recorded speech instead of TTS. */
    imageUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    audioUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    subtitles: Type.Optional(
      Type.Object({ burn: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);

export type VideoParam = Static<typeof VideoParamSchema>;

/** When a background or foreground shows, in seconds of the output and of its own media. */
export interface LayerTiming {
  /** A video plays again from its start when it ends; otherwise it holds its last frame. */
  readonly cycle: boolean;
  readonly start: number;
  readonly playOffset: number;
  /** How long it shows; absent: until the video ends. */
  readonly duration?: number;
}

/** A background or foreground as asked: its file, where it goes (all of the frame without a rect). */
export interface LayerJob {
  readonly source: MediaRef;
  readonly rect?: readonly [number, number, number, number];
  readonly timing: LayerTiming;
}

/** Text to speak, as asked in tts_query and tts_config. */
export interface TtsSpeech {
  readonly kind: 'tts';
  readonly text: string;
  readonly ssml: boolean;
  readonly voice?: string;
  readonly language?: string;
  readonly speedRatio?: number;
  readonly pitchOffset?: number;
  readonly volume?: number;
  /**
   * Decided at the door: the voice that speaks (the one asked, an alias's, or a stand-in) and the
   * warning a stand-in brings. Absent from tasks queued by versions before it was recorded.
   */
  readonly chosen?: { readonly voice: string; readonly warning?: string };
}

/** A recording to speak the video. */
export interface RecordedSpeech {
  readonly kind: 'audio';
  readonly source: MediaRef;
  /** The recording's language: English is aligned by the recogniser, others follow the sound. */
  readonly language?: string;
}

export type AvatarLayout = 'height' | 'fit' | 'fill';

/** What the renderer is asked to make, checked; stored as the task's payload. */
export interface VideoJob {
  readonly format: 'mp4' | 'webm';
  /** Output size; absent: the avatar's own size. */
  readonly resolution?: readonly [number, number];
  readonly bitRateMbps?: number;
  readonly fps: number;
  readonly avatar: {
    readonly url?: string;
    readonly faceFeatureId?: string;
    readonly position?: { readonly x: number; readonly y: number };
    readonly scale?: number;
    /** Degrees clockwise about its centre. */
    readonly rotation: number;
    /** How many foregrounds the avatar is drawn over (0: under all of them). */
    readonly zPosition: number;
    readonly startFrame: number;
    /** Without a scale: as tall as the frame (height), all of it shown (fit), or covering it (fill). */
    readonly layout?: AvatarLayout;
  };
  readonly speech: TtsSpeech | RecordedSpeech;
  readonly background?: LayerJob;
  readonly foregrounds: readonly LayerJob[];
  readonly watermark?: string;
  readonly burnSubtitles: boolean;
}

/** The longest side the renderer makes. */
export const maxSide = 1920;

function schemaProblems(value: unknown): FieldProblem[] {
  return [...Value.Errors(VideoParamSchema, value)].slice(0, 5).map((error) => ({
    field: `param${error.instancePath.replace(/\//g, '.')}`,
    problem: error.message,
  }));
}

type LayerParam = Static<typeof Layer>;

function layerJob(layer: LayerParam): LayerJob {
  const [x = 0, y = 0, w = 0, h = 0] = layer.rect ?? [];
  return {
    source: layer.fileId ? { fileId: layer.fileId } : { url: layer.url },
    ...(layer.rect ? { rect: [x, y, w, h] as const } : {}),
    timing: {
      cycle: layer.cycle ?? true,
      start: layer.start ?? 0,
      playOffset: layer.play_offset ?? 0,
      ...(layer.duration !== undefined && layer.duration > 0 ? { duration: layer.duration } : {}),
    },
  };
}

/**
 * A `param` as clients send it (an object, or a JSON string of one) → the object, or the fault
 * through `refuse` (each caller answers with its own error: 3333 for a video, the FAQ's for live).
 */
export function paramObject(
  raw: unknown,
  refuse: (detail: FieldProblem[]) => Error,
  shape = 'an object (or a JSON string of one)',
): Record<string, unknown> {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw) as unknown;
    } catch {
      throw refuse([{ field: 'param', problem: 'is a string but not valid JSON' }]);
    }
    // The door checks the request's own strings; these came out of one of them.
    const illFormed = findIllFormed(value, 'param');
    if (illFormed) throw refuse([{ field: illFormed, problem: notWellFormed }]);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw refuse([{ field: 'param', problem: `must be ${shape}` }]);
  }
  return value as Record<string, unknown>;
}

/** `param` as sent → an object of the public shape, or a 400 naming each fault. */
export function readVideoParam(raw: unknown): VideoParam {
  const value = paramObject(raw, badParams);
  const problems = schemaProblems(value);
  if (problems.length > 0) throw badParams(problems);
  // Every field is optional in the type: the schema check above is what makes this one.
  return value;
}

/** The output's format, size and watermark; the faults go to `refuse`. */
export function validateOutput(param: VideoParam, refuse: FieldProblem[]) {
  const format = (param.video_format ?? 'MP4').toLowerCase();
  if (format !== 'mp4' && format !== 'webm') {
    refuse.push({ field: 'param.video_format', problem: 'must be "MP4" or "WebM"' });
  }
  const [w, h] = param.resolution ?? [];
  if (w !== undefined && h !== undefined) {
    if (w < 64 || h < 64 || w > maxSide || h > maxSide || w % 2 !== 0 || h % 2 !== 0) {
      refuse.push({
        field: 'param.resolution',
        problem: `must be [width, height], even numbers from 64 to ${maxSide}`,
      });
    }
  }
  const watermark = param.watermark?.show ? param.watermark.content?.trim() : undefined;
  if (param.watermark?.show && !watermark) {
    refuse.push({ field: 'param.watermark.content', problem: 'give the text to show' });
  }
  return {
    format: format === 'webm' ? ('webm' as const) : ('mp4' as const),
    ...(w !== undefined && h !== undefined ? { resolution: [w, h] as const } : {}),
    ...(watermark ? { watermark } : {}),
  };
}

/** Who speaks: a model (digital_role) or, for `photo`, the photo; faults go to `refuse`. */
export function validateAvatarSource(param: VideoParam, photo: boolean, refuse: FieldProblem[]) {
  const role = param.digital_role ?? {};
  if (photo) {
    if (!param.imageUrl) {
      refuse.push({ field: 'param.imageUrl', problem: 'give the photo to animate' });
    }
    if (role.url || role.face_feature_id) {
      refuse.push({
        field: 'param.digital_role',
        problem: 'the photo is the avatar here: leave out url and face_feature_id',
      });
    }
  } else if (!role.url && !role.face_feature_id) {
    refuse.push({
      field: 'param.digital_role',
      problem: 'give the avatar model: url or face_feature_id',
    });
  }
  if (!photo && (param.imageUrl || param.audioUrl)) {
    refuse.push({
      field: param.imageUrl ? 'param.imageUrl' : 'param.audioUrl',
      problem: 'belongs to single/image/video/create; here use digital_role and audios',
    });
  }
}

/** The speech: text to say or a recording, exactly one of them; faults go to `refuse`. */
export function validateSpeech(param: VideoParam, refuse: FieldProblem[]): VideoJob['speech'] {
  const tts = param.tts_query;
  const audio = param.audios?.[0] ?? (param.audioUrl ? { url: param.audioUrl } : undefined);
  if (Boolean(tts) === Boolean(audio)) {
    refuse.push({
      field: 'param.tts_query',
      problem: 'give the speech: tts_query (with tts_config) or audios, one of them',
    });
  }
  const config = param.tts_config ?? {};
  if (audio) {
    return {
      kind: 'audio',
      source: { url: audio.url },
      ...(config.language ? { language: config.language } : {}),
    };
  }
  return {
    kind: 'tts',
    text: tts?.content ?? '',
    ssml: tts?.ssml ?? false,
    ...(config.id ? { voice: config.id } : {}),
    ...(config.language ? { language: config.language } : {}),
    ...(config.speed_ratio !== undefined ? { speedRatio: config.speed_ratio } : {}),
    ...(config.pitch_offset !== undefined ? { pitchOffset: config.pitch_offset } : {}),
    ...(config.volume !== undefined ? { volume: config.volume } : {}),
  };
}

/** The background and foregrounds, and the avatar's place among them; faults go to `refuse`. */
export function validateLayers(param: VideoParam, refuse: FieldProblem[]) {
  const background = param.backgrounds?.[0];
  const foregrounds = param.foregrounds ?? [];
  const layers = [
    ...(background ? [{ layer: background, field: 'param.backgrounds[0]' }] : []),
    ...foregrounds.map((layer, k) => ({ layer, field: `param.foregrounds[${k}]` })),
  ];
  for (const { layer, field } of layers) {
    if (Boolean(layer.url) === Boolean(layer.fileId)) {
      refuse.push({ field, problem: 'give url or fileId, one of them' });
    }
    const [, , w, h] = layer.rect ?? [0, 0, 1, 1];
    if ((w ?? 0) <= 0 || (h ?? 0) <= 0) {
      refuse.push({
        field: `${field}.rect`,
        problem: 'is [x, y, width, height] with a positive size',
      });
    }
  }
  if ((param.digital_role?.z_position ?? 0) > foregrounds.length) {
    refuse.push({
      field: 'param.digital_role.z_position',
      problem: `is how many foregrounds the avatar covers: 0 to ${foregrounds.length} here`,
    });
  }
  return {
    ...(background ? { background: layerJob(background) } : {}),
    foregrounds: foregrounds.map(layerJob),
  };
}

/** digital_role as the renderer takes it, its defaults filled in. */
function avatarJob(param: VideoParam): VideoJob['avatar'] {
  const role = param.digital_role ?? {};
  return {
    ...(role.url ? { url: role.url } : {}),
    ...(role.face_feature_id ? { faceFeatureId: role.face_feature_id } : {}),
    ...(role.position ? { position: role.position } : {}),
    ...(role.scale !== undefined ? { scale: role.scale } : {}),
    rotation: role.rotation ?? 0,
    zPosition: role.z_position ?? 0,
    startFrame: role.start_frame_index ?? 0,
    ...(role.layout ? { layout: role.layout } : {}),
  };
}

/**
 * `param` as sent (a JSON string or an object) → the checked job, or a 400 naming each fault.
 * `photo`: the single/image/video/create shape, where `imageUrl` stands for the avatar.
 */
export function parseVideoParam(raw: unknown, photo = false): VideoJob & { imageUrl?: string } {
  const param = readVideoParam(raw);
  const refuse: FieldProblem[] = [];
  const { format, resolution, watermark } = validateOutput(param, refuse);
  validateAvatarSource(param, photo, refuse);
  const speech = validateSpeech(param, refuse);
  const layers = validateLayers(param, refuse);
  if (refuse.length > 0) throw badParams(refuse);
  return {
    format,
    ...(resolution ? { resolution } : {}),
    ...(param.bit_rate !== undefined ? { bitRateMbps: param.bit_rate } : {}),
    fps: param.frame_rate ?? 25,
    avatar: avatarJob(param),
    speech,
    ...layers,
    ...(watermark ? { watermark } : {}),
    burnSubtitles: param.subtitles?.burn ?? false,
    ...(photo && param.imageUrl ? { imageUrl: param.imageUrl } : {}),
  };
}
