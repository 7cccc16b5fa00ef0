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

/**
 * The voice a request means: the one it names, or the default voice of its language (en-US when
 * it names neither). Unknown voices and languages are refused with their own errors.
 */
export function resolveVoice(
  voices: readonly VoiceDef[],
  id: string | undefined,
  language: string | undefined,
  appId?: string,
): VoiceDef {
  if (id !== undefined && id.trim() !== '') {
    const named = voices.find(
      (voice) => voice.id === id.trim() && (!voice.ownerAppId || voice.ownerAppId === appId),
    );
    if (!named) throw new AppError('voiceNotFound', { voice: id });
    return named;
  }
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
