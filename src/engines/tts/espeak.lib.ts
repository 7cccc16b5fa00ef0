/**
 * libespeak-ng (Debian's 1.51) in-process through koffi: synthesis with word and phoneme events.
 * The library has process-global state and is not thread-safe, and a call blocks for the whole
 * synthesis; so exactly one thread uses this module: the eSpeak worker (espeak.worker.ts).
 * Declarations follow /usr/include/espeak-ng/speak_lib.h (API revision 12).
 */
import koffi from 'koffi';

const audioOutputSynchronous = 2;
const initializePhonemeEvents = 0x0001;
const charsUtf8 = 1;
const flagEndPause = 0x1000;
const positionCharacter = 1;
const parameter = { rate: 1, volume: 2, pitch: 3 } as const;
export const normalWordsPerMinute = 175;

export const eventType = {
  listTerminated: 0,
  word: 1,
  sentence: 2,
  end: 5,
  messageTerminated: 6,
  phoneme: 7,
} as const;

/** One espeak_EVENT: 40 bytes on x86-64, the union `id` at offset 32. */
export interface EspeakEvent {
  readonly type: number;
  /** 1-based, in Unicode code points of the input. */
  readonly textPosition: number;
  readonly length: number;
  /** Sample index at 22050 Hz: finer than audio_position's whole milliseconds. */
  readonly sample: number;
  readonly audioPositionMs: number;
  readonly phoneme?: string;
}

const eventSize = 40;

interface Api {
  initialize(output: number, bufferMs: number, path: string | null, options: number): number;
  setSynthCallback(callback: unknown): void;
  setVoiceByName(name: string): number;
  setVoiceByProperties(spec: Record<string, unknown>): number;
  setParameter(which: number, value: number, relative: number): number;
  synth(
    text: Buffer,
    size: number,
    position: number,
    positionType: number,
    endPosition: number,
    flags: number,
    uniqueIdentifier: number[],
    userData: null,
  ): number;
  textToPhonemes(cell: unknown, textMode: number, phonemeMode: number): string | null;
}

interface Current {
  readonly chunks: Buffer[];
  readonly events: EspeakEvent[];
  samples: number;
}

let api: Api | undefined;
let sampleRate = 0;
let current: Current | undefined;
let voice = '';
const params: Record<keyof typeof parameter, number | undefined> = {
  rate: undefined,
  volume: undefined,
  pitch: undefined,
};

function readEvents(pointer: unknown, out: EspeakEvent[]): void {
  if (!pointer) return;
  for (let index = 0; ; index++) {
    const bytes = koffi.view((pointer as bigint) + BigInt(index * eventSize), eventSize);
    const view = new DataView(bytes);
    const type = view.getInt32(0, true);
    if (type === eventType.listTerminated) return;
    const event: EspeakEvent = {
      type,
      textPosition: view.getInt32(8, true),
      length: view.getInt32(12, true),
      audioPositionMs: view.getInt32(16, true),
      sample: view.getInt32(20, true),
    };
    if (type === eventType.phoneme) {
      const name = new Uint8Array(bytes, 32, 8);
      const end = name.indexOf(0);
      out.push({
        ...event,
        phoneme: Buffer.from(name.subarray(0, end < 0 ? 8 : end)).toString('utf8'),
      });
    } else {
      out.push(event);
    }
  }
}

/** Called by espeak_Synth on this thread, before it returns (synchronous mode). */
function onSynth(wav: unknown, count: number, events: unknown): number {
  if (!current) return 0;
  if (wav && count > 0) {
    // The view aliases a buffer espeak reuses: copy now.
    current.chunks.push(Buffer.from(new Uint8Array(koffi.view(wav, count * 2))));
    current.samples += count;
  }
  readEvents(events, current.events);
  return 0;
}

/** Loads and initialises the library once; returns its output rate (22050 Hz). */
export function initEspeak(): number {
  if (api) return sampleRate;
  const lib = koffi.load('libespeak-ng.so.1');
  koffi.struct('espeak_VOICE_spec', {
    name: 'const char *',
    languages: 'const char *',
    identifier: 'const char *',
    gender: 'uchar',
    age: 'uchar',
    variant: 'uchar',
    xx1: 'uchar',
    score: 'int',
    spare: 'void *',
  });
  const callbackType = koffi.proto(
    'int anima_espeak_callback(int16_t *wav, int numsamples, void *events)',
  );
  const bound = {
    initialize: lib.func(
      'int espeak_Initialize(int output, int buflength, const char *path, int options)',
    ),
    setSynthCallback: lib.func('void espeak_SetSynthCallback(anima_espeak_callback *cb)'),
    setVoiceByName: lib.func('int espeak_SetVoiceByName(const char *name)'),
    setVoiceByProperties: lib.func('int espeak_SetVoiceByProperties(espeak_VOICE_spec *spec)'),
    setParameter: lib.func('int espeak_SetParameter(int parameter, int value, int relative)'),
    synth: lib.func(
      'int espeak_Synth(const void *text, size_t size, uint position, int position_type, uint end_position, uint flags, _Out_ uint *unique_identifier, void *user_data)',
    ),
    textToPhonemes: lib.func(
      'const char *espeak_TextToPhonemes(void *textptr, int textmode, int phonememode)',
    ),
  };
  const typed = bound as unknown as Api;
  const rate = typed.initialize(audioOutputSynchronous, 0, null, initializePhonemeEvents);
  if (rate <= 0)
    throw new Error(`espeak_Initialize failed (${rate}): is espeak-ng-data installed?`);
  typed.setSynthCallback(koffi.register(onSynth, koffi.pointer(callbackType)));
  api = typed;
  sampleRate = rate;
  return rate;
}

function loaded(): Api {
  if (!api) initEspeak();
  return api as Api;
}

/**
 * Selects a voice by name ("cmn-latn-pinyin", "en-us") or, as the CLI does, by language when
 * the name is not a voice file name ("en-gb" lives in gmw/en).
 */
export function setVoice(name: string): void {
  const lib = loaded();
  if (voice === name) return;
  let status = lib.setVoiceByName(name);
  if (status !== 0) {
    status = lib.setVoiceByProperties({
      name: null,
      languages: name,
      identifier: null,
      gender: 0,
      age: 0,
      variant: 0,
      xx1: 0,
      score: 0,
      spare: null,
    });
  }
  if (status !== 0) throw new Error(`eSpeak NG has no voice ${name}`);
  voice = name;
}

/** Words per minute (175 normal). Parameters persist in espeak, so each call sets what it needs. */
export function setRate(wordsPerMinute: number): void {
  const value = Math.max(80, Math.min(450, Math.round(wordsPerMinute)));
  if (params.rate === value) return;
  const status = loaded().setParameter(parameter.rate, value, 0);
  if (status !== 0) throw new Error(`espeak_SetParameter(rate) failed (${status})`);
  params.rate = value;
}

export interface RawSynthesis {
  readonly pcm: Buffer;
  readonly samples: number;
  readonly events: readonly EspeakEvent[];
}

/** One espeak_Synth call with the current voice and rate. */
export function synthRaw(text: string, endPause: boolean): RawSynthesis {
  const lib = loaded();
  const input = Buffer.from(`${text}\0`, 'utf8');
  const run: Current = { chunks: [], events: [], samples: 0 };
  current = run;
  let status: number;
  try {
    const flags = charsUtf8 | (endPause ? flagEndPause : 0);
    status = lib.synth(input, input.length, 0, positionCharacter, 0, flags, [0], null);
  } finally {
    current = undefined;
  }
  if (status !== 0) throw new Error(`espeak_Synth failed (${status})`);
  return { pcm: Buffer.concat(run.chunks), samples: run.samples, events: run.events };
}

/** The phoneme string espeak-ng -x prints for `text` in the current voice (tones included). */
export function textToPhonemes(text: string): string {
  const lib = loaded();
  const bytes = Buffer.from(`${text}\0`, 'utf8');
  const memory: unknown = koffi.alloc('uint8', bytes.length);
  const cell: unknown = koffi.alloc('void *', 1);
  try {
    koffi.encode(memory, koffi.array('uint8', bytes.length), Array.from(bytes));
    koffi.encode(cell, 'void *', memory);
    const parts: string[] = [];
    // espeak advances the pointer in `cell` clause by clause, and sets it to NULL at the end.
    for (let guard = 0; guard < 10_000 && koffi.decode(cell, 'void *'); guard++) {
      const clause = lib.textToPhonemes(cell, charsUtf8, 0);
      if (clause) parts.push(clause.trim());
    }
    return parts.filter((part) => part !== '').join(' ');
  } finally {
    koffi.free(memory);
    koffi.free(cell);
  }
}
