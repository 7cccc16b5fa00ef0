/**
 * The live script (`param` of live/channel/create): `{version, recycle, stream_mode, sceneList}`,
 * a JSON string or an object. Each scene is checked with the video param's own rules (voices,
 * avatars, layers, the 80-character rule), so a scene is refused for the same faults a video is;
 * what makes it a live script (a scene list, text long enough to present) is checked here. Every
 * refusal is the FAQ's live message with a `detail` naming each fault.
 */
import { AppError, isAppError, type FieldProblem } from '../errors/app-error.js';
import { paramObject, parseVideoParam, type VideoJob } from '../video/video-param.js';

/** What a scene shows and says: a video job's avatar, speech and layers. */
export type LiveScene = Pick<
  VideoJob,
  'avatar' | 'speech' | 'background' | 'foregrounds' | 'watermark'
>;

export interface LiveScript {
  /** Play the scenes again from the first when the last ends; else the session then ends. */
  readonly recycle: boolean;
  readonly scenes: readonly LiveScene[];
  /** The stream's frame rate and size (the avatar's own when absent), the same in every scene. */
  readonly fps: number;
  readonly resolution?: readonly [number, number];
  readonly bitRateMbps?: number;
  /** Fields accepted but not applied, said to the client. */
  readonly warnings: readonly string[];
}

/**
 * How many different looks (avatar, its placement, layers, watermark) the script's scenes have, at
 * most: scenes equal in all of these share one. One look is composed by the encoder itself; more
 * take a compositor each, about 1.7 times the CPU (docs/benchmarks.md).
 */
export function scriptLooks(script: Pick<LiveScript, 'scenes'>): number {
  const looks = script.scenes.map(({ avatar, background, foregrounds, watermark }) =>
    JSON.stringify({ avatar, background, foregrounds, watermark }),
  );
  return new Set(looks).size;
}

/**
 * What a session of this script takes of the server's live capacity (ANIMA_LIVE_MAX_SESSIONS): 1,
 * or 2 when its scenes differ in look.
 */
export function liveSlots(script: Pick<LiveScript, 'scenes'>): number {
  return scriptLooks(script) > 1 ? 2 : 1;
}

/** The most scenes a script may hold. */
export const maxScenes = 100;
/** A scene's text needs this many letters or digits to be presented (the FAQ's "too short"). */
export const minSceneLetters = 4;

const scriptFields = new Set(['version', 'recycle', 'stream_mode', 'sceneList']);
/** Fields a scene may leave out to keep the previous scene's: the same presenter and voice. */
const inherited = ['digital_role', 'tts_config'] as const;

function refuse(detail: readonly FieldProblem[]): AppError {
  return new AppError('liveScriptInvalid', {}, { detail: detail.slice(0, 8) });
}

/** `param` as sent → the script object, or the FAQ's live refusal saying why. */
function readScript(raw: unknown): Record<string, unknown> {
  const script = paramObject(raw, refuse, 'the live script: {sceneList: [...]}');
  if (!('sceneList' in script) && ('tts_query' in script || 'digital_role' in script)) {
    throw refuse([
      {
        field: 'param',
        problem:
          'is a video-synthesis param; live takes a script: {recycle, sceneList: [{digital_role, tts_config, tts_query, backgrounds, ...}]}',
      },
    ]);
  }
  const unknown = Object.keys(script).filter((key) => !scriptFields.has(key));
  if (unknown.length > 0) {
    throw refuse(
      unknown.map((key) => ({ field: `param.${key}`, problem: 'is not a script field' })),
    );
  }
  return script;
}

function sceneList(script: Record<string, unknown>): Record<string, unknown>[] {
  const list = script.sceneList;
  if (!Array.isArray(list) || list.length === 0) {
    throw refuse([{ field: 'param.sceneList', problem: 'give at least one scene' }]);
  }
  if (list.length > maxScenes) {
    throw refuse([{ field: 'param.sceneList', problem: `holds at most ${maxScenes} scenes` }]);
  }
  return list.map((scene: unknown, k) => {
    if (typeof scene !== 'object' || scene === null || Array.isArray(scene)) {
      throw refuse([{ field: `param.sceneList[${k}]`, problem: 'must be a scene object' }]);
    }
    return scene as Record<string, unknown>;
  });
}

const letters = /[\p{L}\p{N}]/gu;

/** A scene's own faults beyond the video param's: text long enough, nothing live cannot show. */
function liveProblems(scene: LiveScene, raw: Record<string, unknown>, at: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (scene.speech.kind === 'tts') {
    const text = scene.speech.ssml ? scene.speech.text.replace(/<[^>]*>/g, '') : scene.speech.text;
    if ((text.match(letters) ?? []).length < minSceneLetters) {
      problems.push({
        field: `${at}.tts_query.content`,
        problem: `is too short to present: at least ${minSceneLetters} letters or digits`,
      });
    }
  }
  const subtitles = raw.subtitles as { burn?: unknown } | undefined;
  if (subtitles?.burn === true) {
    problems.push({
      field: `${at}.subtitles.burn`,
      problem: 'live streams carry no burnt-in subtitles',
    });
  }
  return problems;
}

/** One scene through the video param's checks, its fields renamed to where they are in the script. */
function parseScene(raw: Record<string, unknown>, at: string) {
  const { effects, ...param } = raw;
  try {
    return { job: parseVideoParam(param), ignoredEffects: effects !== undefined };
  } catch (error) {
    if (!isAppError(error) || error.key !== 'badParams') throw error;
    throw refuse(
      (error.detail ?? []).map((problem) => ({
        ...problem,
        field: problem.field.replace(/^param/, at),
      })),
    );
  }
}

/** The stream's settings, taken from the first scene; another scene asking otherwise is refused. */
function streamSettings(jobs: readonly VideoJob[], problems: FieldProblem[]) {
  const [first] = jobs as [VideoJob];
  jobs.forEach((job, k) => {
    if (job.fps !== first.fps) {
      problems.push({
        field: `param.sceneList[${k}].frame_rate`,
        problem: 'must be the same in every scene',
      });
    }
    if (String(job.resolution) !== String(first.resolution)) {
      problems.push({
        field: `param.sceneList[${k}].resolution`,
        problem: 'must be the same in every scene',
      });
    }
  });
  return {
    fps: first.fps,
    ...(first.resolution ? { resolution: first.resolution } : {}),
    ...(first.bitRateMbps !== undefined ? { bitRateMbps: first.bitRateMbps } : {}),
  };
}

/** `param` as sent → the checked script, or the FAQ's live refusal with every fault named. */
export function parseLiveScript(raw: unknown): LiveScript {
  const script = readScript(raw);
  const scenes = sceneList(script);
  const problems: FieldProblem[] = [];
  const jobs: VideoJob[] = [];
  const warnings: string[] = [];
  let previous: Record<string, unknown> = {};
  scenes.forEach((scene, k) => {
    const at = `param.sceneList[${k}]`;
    const filled = { ...scene };
    for (const field of inherited) if (filled[field] === undefined) filled[field] = previous[field];
    previous = filled;
    try {
      const { job, ignoredEffects } = parseScene(filled, at);
      jobs.push(job);
      problems.push(...liveProblems(job, filled, at));
      if (ignoredEffects) warnings.push(`${at}.effects: effects are not applied by Anima`);
    } catch (error) {
      if (!isAppError(error) || error.key !== 'liveScriptInvalid') throw error;
      problems.push(...(error.detail ?? []));
    }
  });
  const recycle = script.recycle ?? false;
  if (typeof recycle !== 'boolean' && recycle !== 0 && recycle !== 1) {
    problems.push({ field: 'param.recycle', problem: 'must be true or false (or 1 or 0)' });
  }
  const settings = jobs.length === scenes.length ? streamSettings(jobs, problems) : undefined;
  if (problems.length > 0 || !settings) throw refuse(problems);
  return {
    recycle: recycle === true || recycle === 1,
    scenes: jobs.map((job) => ({
      avatar: job.avatar,
      speech: job.speech,
      foregrounds: job.foregrounds,
      ...(job.background ? { background: job.background } : {}),
      ...(job.watermark ? { watermark: job.watermark } : {}),
    })),
    ...settings,
    warnings,
  };
}
