import { AppError } from '../errors/app-error.js';
import type { VoiceShape } from './voice-profile.js';

export type TtsEngineName = 'festival' | 'espeak' | 'onnx';

export interface VoiceDef {
  readonly id: string;
  readonly name: string;
  readonly language: string;
  readonly gender: 'female' | 'male';
  readonly engine: TtsEngineName;
  /** The engine's own voice name. */
  readonly engineVoice: string;
  /** The voice used when a request names only its language. */
  readonly isDefault: boolean;
  /** A personal voice: the base voice shaped toward a speaker, usable by its app only. */
  readonly shape?: VoiceShape;
  readonly ownerAppId?: string;
}

/** Voices that ship with the Debian packages set-up installs. */
export const builtInVoices: readonly VoiceDef[] = [
  {
    id: 'en-US-slt',
    name: 'SLT, US English female (Festival HTS)',
    language: 'en-US',
    gender: 'female',
    engine: 'festival',
    engineVoice: 'cmu_us_slt_arctic_hts',
    isDefault: true,
  },
  {
    id: 'en-US-kal',
    name: 'Kal, US English male (Festival diphone)',
    language: 'en-US',
    gender: 'male',
    engine: 'festival',
    engineVoice: 'kal_diphone',
    isDefault: false,
  },
  {
    id: 'en-GB-slt',
    name: 'SLT reading British English text (Festival HTS; the clearest English here)',
    language: 'en-GB',
    gender: 'female',
    engine: 'festival',
    engineVoice: 'cmu_us_slt_arctic_hts',
    isDefault: true,
  },
  {
    id: 'en-GB-espeak',
    name: 'British English male (eSpeak NG; British accent, robotic)',
    language: 'en-GB',
    gender: 'male',
    engine: 'espeak',
    engineVoice: 'en-gb',
    isDefault: false,
  },
  {
    id: 'zh-CN-espeak',
    name: 'Mandarin Chinese (eSpeak NG, pinyin with tones)',
    language: 'zh-CN',
    gender: 'male',
    engine: 'espeak',
    engineVoice: 'cmn-latn-pinyin',
    isDefault: true,
  },
];

const languageAliases: Readonly<Record<string, string>> = {
  en: 'en-US',
  'en-us': 'en-US',
  'en-gb': 'en-GB',
  zh: 'zh-CN',
  'zh-cn': 'zh-CN',
  'zh-hans': 'zh-CN',
  cmn: 'zh-CN',
};

/** The canonical form of a language tag we speak, or undefined. */
export function normalizeLanguage(language: string): string | undefined {
  return languageAliases[language.trim().toLowerCase()];
}

export const supportedTtsLanguages = ['en-US', 'en-GB', 'zh-CN'] as const;

/** How unknown voice ids are treated: the operator's alias table, and whether to refuse them. */
export interface VoicePolicy {
  /** Any name (a hosted service's voice id, say) to the id of a local voice. */
  readonly aliases: ReadonlyMap<string, string>;
  /** Refuse an unknown id (7003) instead of speaking with the language's default voice. */
  readonly strict: boolean;
}

export const lenientVoices: VoicePolicy = { aliases: new Map(), strict: false };

/** The voice a request is spoken with, and a warning when it is not the one asked for. */
export interface ResolvedVoice {
  readonly voice: VoiceDef;
  readonly warning?: string;
}

/** The default voice of a language (en-US when none is given), or "language not supported". */
export function defaultVoice(voices: readonly VoiceDef[], language: string | undefined): VoiceDef {
  const canonical =
    language === undefined || language.trim() === '' ? 'en-US' : normalizeLanguage(language);
  const voice = voices.find((candidate) => candidate.language === canonical && candidate.isDefault);
  if (!voice) {
    throw new AppError('languageNotSupported', {
      language: language ?? '',
      what: 'speech synthesis',
      supported: supportedTtsLanguages.join(', '),
    });
  }
  return voice;
}

/**
 * The voice a request means: the one it names (or the operator's alias of that name), or the
 * default voice of its language (en-US when it names neither). An id known nowhere (a hosted
 * service's, say) falls back to the language's default with a warning, unless the policy is
 * strict. A personal voice id (pv_...) that is not the app's own is always refused: speaking
 * another voice in its place would hide that the voice is gone or belongs to someone else.
 */
export function resolveVoice(
  voices: readonly VoiceDef[],
  request: { readonly voice?: string; readonly language?: string; readonly appId?: string },
  policy: VoicePolicy = lenientVoices,
): ResolvedVoice {
  const id = request.voice?.trim() ?? '';
  if (id === '') return { voice: defaultVoice(voices, request.language) };
  const usable = (voice: VoiceDef) => !voice.ownerAppId || voice.ownerAppId === request.appId;
  const named = voices.find((voice) => voice.id === id && usable(voice));
  if (named) return { voice: named };
  const alias = policy.aliases.get(id);
  const aliased = alias === undefined ? undefined : voices.find((voice) => voice.id === alias);
  if (aliased && usable(aliased)) return { voice: aliased };
  if (policy.strict || id.startsWith(personalVoicePrefix)) {
    throw new AppError('voiceNotFound', { voice: id });
  }
  const voice = defaultVoice(voices, request.language);
  return {
    voice,
    warning: `voice ${id} is not known here, so ${voice.id} (the ${voice.language} default voice) speaks instead; the operator can map ${id} to a local voice in the ANIMA_VOICE_ALIASES file`,
  };
}

/** Personal voices, trained from an app's samples, have ids that start with this. */
export const personalVoicePrefix = 'pv_';
