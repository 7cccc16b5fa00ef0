/**
 * libpocketsphinx (Debian's 0.8+5prealpha) in-process through koffi: streaming recognition
 * with the US English model, and forced alignment of a known transcript. A decoder is not
 * thread-safe and its calls block, so this module is used by one thread only: the
 * PocketSphinx worker (pocketsphinx.worker.ts).
 */
import koffi from 'koffi';

export const modelDir = '/usr/share/pocketsphinx/model/en-us';
/** The 39 phones of the en-us acoustic model. */
export const cmuPhones =
  'AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW V W Y Z ZH'.split(
    ' ',
  );

/** A C pointer as koffi hands it over. */
export type Handle = bigint;

interface Api {
  errSetLogfp(stream: null): void;
  cmdLnInit(...args: unknown[]): Handle | null;
  cmdLnFree(config: Handle): number;
  psArgs(): Handle;
  psInit(config: Handle): Handle | null;
  psFree(decoder: Handle): number;
  psStartStream(decoder: Handle): number;
  psStartUtt(decoder: Handle): number;
  psProcessRaw(
    decoder: Handle,
    data: Int16Array,
    samples: number,
    noSearch: number,
    fullUtt: number,
  ): number;
  psEndUtt(decoder: Handle): number;
  psGetHyp(decoder: Handle, score: number[]): string | null;
  psSegIter(decoder: Handle): Handle | null;
  psSegNext(segment: Handle): Handle | null;
  psSegWord(segment: Handle): string;
  psSegFrames(segment: Handle, start: Int32Array, end: Int32Array): void;
  psAddWord(decoder: Handle, word: string, phones: string, update: number): number;
  psLookupWord(decoder: Handle, word: string): Handle | null;
  psSetJsgfString(decoder: Handle, name: string, grammar: string): number;
  psSetSearch(decoder: Handle, name: string): number;
  psGetFeat(decoder: Handle): Handle;
  cmnLiveGet(cmn: Handle, mean: Float32Array): void;
  cmnLiveSet(cmn: Handle, mean: Float32Array): void;
  free(pointer: Handle): void;
}

let api: Api | undefined;

function load(): Api {
  if (api) return api;
  const sphinxbase = koffi.load('libsphinxbase.so.3');
  const ps = koffi.load('libpocketsphinx.so.3');
  const libc = koffi.load('libc.so.6');
  koffi.opaque('cmd_ln_t');
  koffi.opaque('arg_t');
  koffi.opaque('ps_decoder_t');
  koffi.opaque('ps_seg_t');
  const bound = {
    errSetLogfp: sphinxbase.func('void err_set_logfp(void *stream)'),
    cmdLnInit: sphinxbase.func(
      'cmd_ln_t *cmd_ln_init(cmd_ln_t *inout_cmdln, const arg_t *defn, int32_t strict, ...)',
    ),
    cmdLnFree: sphinxbase.func('int cmd_ln_free_r(cmd_ln_t *cmdln)'),
    psArgs: ps.func('const arg_t *ps_args(void)'),
    psInit: ps.func('ps_decoder_t *ps_init(cmd_ln_t *config)'),
    psFree: ps.func('int ps_free(ps_decoder_t *ps)'),
    psStartStream: ps.func('int ps_start_stream(ps_decoder_t *ps)'),
    psStartUtt: ps.func('int ps_start_utt(ps_decoder_t *ps)'),
    psProcessRaw: ps.func(
      'int ps_process_raw(ps_decoder_t *ps, const int16_t *data, size_t n_samples, int no_search, int full_utt)',
    ),
    psEndUtt: ps.func('int ps_end_utt(ps_decoder_t *ps)'),
    psGetHyp: ps.func('const char *ps_get_hyp(ps_decoder_t *ps, _Out_ int32_t *out_best_score)'),
    psSegIter: ps.func('ps_seg_t *ps_seg_iter(ps_decoder_t *ps)'),
    psSegNext: ps.func('ps_seg_t *ps_seg_next(ps_seg_t *seg)'),
    psSegWord: ps.func('const char *ps_seg_word(ps_seg_t *seg)'),
    psSegFrames: ps.func('void ps_seg_frames(ps_seg_t *seg, int *out_sf, int *out_ef)'),
    psAddWord: ps.func(
      'int ps_add_word(ps_decoder_t *ps, const char *word, const char *phones, int update)',
    ),
    psLookupWord: ps.func('void *ps_lookup_word(ps_decoder_t *ps, const char *word)'),
    psSetJsgfString: ps.func(
      'int ps_set_jsgf_string(ps_decoder_t *ps, const char *name, const char *jsgf_string)',
    ),
    psSetSearch: ps.func('int ps_set_search(ps_decoder_t *ps, const char *name)'),
    psGetFeat: ps.func('void *ps_get_feat(ps_decoder_t *ps)'),
    cmnLiveGet: sphinxbase.func('void cmn_live_get(void *cmn, float *vec)'),
    cmnLiveSet: sphinxbase.func('void cmn_live_set(void *cmn, const float *vec)'),
    free: libc.func('void free(void *ptr)'),
  };
  const typed = bound as unknown as Api;
  api = typed;
  // Silence sphinxbase's logging (process-wide), including the configuration dump of cmd_ln_init.
  typed.errSetLogfp(null);
  return typed;
}

/** 100 frames a second: the model's frame rate. */
const framesPerSecond = 100;

export interface Segment {
  readonly word: string;
  readonly startFrame: number;
  readonly endFrame: number;
}

export interface TimedToken {
  readonly text: string;
  readonly beginMs: number;
  readonly endMs: number;
}

const filler = /^(<.*>|\[.*\]|\+\+.*\+\+|\(NULL\)|NULL)$/;
export const isFiller = (word: string) => filler.test(word);
/** "word(2)", an alternative pronunciation, is the word. */
export const baseWord = (word: string) => word.replace(/\(\d+\)$/, '');

export function framesToMs(segment: Segment): { beginMs: number; endMs: number } {
  return {
    beginMs: Math.round((segment.startFrame * 1000) / framesPerSecond),
    endMs: Math.round(((segment.endFrame + 1) * 1000) / framesPerSecond),
  };
}

function toSamples(pcm: Uint8Array): Int16Array {
  const aligned = pcm.byteOffset % 2 === 0 ? pcm : pcm.slice();
  return new Int16Array(aligned.buffer, aligned.byteOffset, Math.floor(aligned.byteLength / 2));
}

/** One decoder: its model loaded (about 0.45 s and 90 MB for the LM search), reusable. */
export class SphinxDecoder {
  private handle: Handle | undefined;
  private readonly startFrame = new Int32Array(1);
  private readonly endFrame = new Int32Array(1);

  constructor(args: Readonly<Record<string, string>>) {
    const lib = load();
    const variadic: unknown[] = [];
    for (const [name, value] of Object.entries(args))
      variadic.push('const char *', name, 'const char *', value);
    variadic.push('const char *', null);
    const config = lib.cmdLnInit(null, lib.psArgs(), 1, ...variadic);
    if (!config) throw new Error(`PocketSphinx rejected its configuration ${JSON.stringify(args)}`);
    const handle = lib.psInit(config);
    // ps_init keeps its own reference to the configuration.
    lib.cmdLnFree(config);
    if (!handle) throw new Error(`PocketSphinx could not load its model from ${modelDir}`);
    this.handle = handle;
  }

  protected get ps(): Handle {
    if (this.handle === undefined) throw new Error('the decoder was freed');
    return this.handle;
  }

  protected get lib(): Api {
    return load();
  }

  /** Starts an utterance; times count from here. */
  start(): void {
    this.lib.psStartStream(this.ps);
    if (this.lib.psStartUtt(this.ps) < 0) throw new Error('ps_start_utt failed');
  }

  write(pcm: Uint8Array, wholeUtterance = false): void {
    const samples = toSamples(pcm);
    if (samples.length === 0) return;
    if (this.lib.psProcessRaw(this.ps, samples, samples.length, 0, wholeUtterance ? 1 : 0) < 0) {
      throw new Error('ps_process_raw failed');
    }
  }

  hypothesis(): string {
    const text = this.lib.psGetHyp(this.ps, [0]) ?? '';
    return text
      .split(/\s+/)
      .filter((word) => word !== '' && !isFiller(word))
      .map(baseWord)
      .join(' ');
  }

  end(): void {
    if (this.lib.psEndUtt(this.ps) < 0) throw new Error('ps_end_utt failed');
  }

  segments(): Segment[] {
    const out: Segment[] = [];
    for (
      let segment = this.lib.psSegIter(this.ps);
      segment;
      segment = this.lib.psSegNext(segment)
    ) {
      const word = this.lib.psSegWord(segment);
      this.lib.psSegFrames(segment, this.startFrame, this.endFrame);
      out.push({ word, startFrame: this.startFrame[0] ?? 0, endFrame: this.endFrame[0] ?? 0 });
    }
    return out;
  }

  /** Words with times, fillers and silences left out. */
  words(): TimedToken[] {
    return this.segments()
      .filter((segment) => !isFiller(segment.word))
      .map((segment) => ({ text: baseWord(segment.word), ...framesToMs(segment) }));
  }

  free(): void {
    if (this.handle === undefined) return;
    this.lib.psFree(this.handle);
    this.handle = undefined;
  }
}

export const recognizerArgs: Readonly<Record<string, string>> = {
  '-hmm': `${modelDir}/en-us`,
  '-lm': `${modelDir}/en-us.lm.bin`,
  '-dict': `${modelDir}/cmudict-en-us.dict`,
  // The flat second pass ran at the end of each utterance: 350-570 ms between the client's eof
  // and the result, for no gain on the LibriVox clips (same or lower WER without it; 45-117 ms).
  '-fwdflat': 'no',
};

const alignerArgs: Readonly<Record<string, string>> = {
  '-hmm': `${modelDir}/en-us`,
  '-dict': `${modelDir}/cmudict-en-us.dict`,
  // Frame numbers stay audio time (no frames dropped as silence); a linear grammar affords wide beams.
  '-remove_silence': 'no',
  '-beam': '1e-80',
  '-pbeam': '1e-80',
  '-wbeam': '1e-60',
};

export interface AlignedWord extends TimedToken {
  readonly phonemes: readonly { symbol: string; beginMs: number; endMs: number }[];
}

/** Lower case words, punctuation dropped, inner apostrophes kept: the dictionary's spelling. */
export function transcriptWords(transcript: string): string[] {
  return transcript
    .toLowerCase()
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[^a-z0-9' ]+/g, ' ')
    .split(/\s+/)
    .map((word) => word.replace(/^'+|'+$/g, ''))
    .filter((word) => word !== '');
}

/**
 * Forced alignment in two passes over one grammar decoder. Words: a JSGF grammar of exactly the
 * transcript (alternative pronunciations allowed), which also says which pronunciation was
 * spoken. Phonemes: the dictionary holds one pseudo-word per phone, and a grammar of the chosen
 * pronunciations' phones times each one.
 */
export class SphinxAligner extends SphinxDecoder {
  constructor() {
    super(alignerArgs);
    for (const phone of cmuPhones) {
      if (this.lib.psAddWord(this.ps, phone, phone, 0) < 0)
        throw new Error(`ps_add_word ${phone} failed`);
    }
  }

  pronunciation(word: string): string | undefined {
    const pointer = this.lib.psLookupWord(this.ps, word);
    if (!pointer) return undefined;
    const text = koffi.decode(pointer, 'char', -1) as string;
    this.lib.free(pointer);
    return text;
  }

  private run(name: string, tokens: readonly string[], pcm: Uint8Array): Segment[] {
    const grammar = `#JSGF V1.0;\ngrammar ${name};\npublic <utt> = ${tokens.join(' ')} ;\n`;
    if (this.lib.psSetJsgfString(this.ps, name, grammar) < 0)
      throw new Error('the alignment grammar was refused');
    if (this.lib.psSetSearch(this.ps, name) < 0) throw new Error('ps_set_search failed');
    this.start();
    this.write(pcm, true);
    this.end();
    return this.segments().filter((segment) => !isFiller(segment.word));
  }

  align(pcm: Uint8Array, transcript: string): AlignedWord[] {
    const tokens = transcriptWords(transcript);
    const unknown = tokens.filter((word) => this.pronunciation(word) === undefined);
    if (unknown.length > 0)
      throw new Error(`words not in the pronouncing dictionary: ${unknown.join(', ')}`);
    if (tokens.length === 0) throw new Error('the transcript holds no words');
    const wordSegments = this.run('words', tokens, pcm);
    if (wordSegments.length !== tokens.length) {
      throw new Error(
        'the recording does not match the transcript (the alignment did not reach its end)',
      );
    }
    const spoken = wordSegments.map((segment) =>
      (this.pronunciation(segment.word) ?? '').split(' '),
    );
    const phoneSegments = this.run('phones', spoken.flat(), pcm);
    if (phoneSegments.length !== spoken.flat().length)
      throw new Error('the phoneme alignment did not reach its end');
    let next = 0;
    return wordSegments.map((segment, index) => ({
      text: tokens[index] ?? baseWord(segment.word),
      ...framesToMs(segment),
      phonemes: (spoken[index] ?? []).map(() => {
        const phone = phoneSegments[next++] as Segment;
        return { symbol: phone.word, ...framesToMs(phone) };
      }),
    }));
  }
}
