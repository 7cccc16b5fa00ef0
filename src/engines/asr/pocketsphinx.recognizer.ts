/**
 * The streaming recogniser, made deterministic. In live decoding PocketSphinx normalises each
 * frame by a running cepstral mean (live CMN) that it keeps across utterances, so one decoder's
 * answer to a clip depended on what it heard before (3 transcripts in 7 runs of one file over a
 * pool of decoders). Every utterance now starts from one fixed mean, so the same audio gives the
 * same words and times on any decoder, whatever ran before.
 */
import fs from 'node:fs';
import koffi from 'koffi';
import { modelDir, recognizerArgs, SphinxDecoder, type Handle } from './pocketsphinx.lib.js';

/**
 * The mean every utterance starts from: typical read speech rather than the model's -cmninit
 * (41,-5.29,...), whose cold start recognised worse (LibriVox 0870 / 0920: 31.8% / 42.1% WER on a
 * fresh decoder). Measured once from the two LibriVox fixtures: each clip streamed three times in
 * 40 ms chunks through a fresh decoder, cmn_live_get read after the third, the two means averaged.
 * With it: 0870 / 0920 18.2% / 21.1% (in sample); each clip started from the other clip's mean
 * alone gives 22.7% / 21.1% (held out). GRID's studio clips gave a mean (c0 52.6) that did worse
 * on LibriVox (22.7% / 31.6%).
 */
export const typicalSpeechMean: readonly number[] = [
  53.93, 7.86, -4.44, 20.23, -14.79, 6.12, -8.58, -4.01, 3.6, -2.88, 3.86, -4.48, 0.8,
];

/**
 * Where sphinxbase 5prealpha's feat_t keeps its cmn_t pointer on 64-bit Linux: after refcount,
 * name, cepsize, n_stream, stream_len, window_size, n_sv, sv_len, subvecs, sv_buf, sv_dim, cmn,
 * varnorm, agc and the compute_feat pointer. There is no header to compile against, so the
 * layout is checked on every decoder (cepsize, cmn_t's veclen, and the model's -cmninit read back).
 */
const layout = { cepsize: 16, cmnStruct: 88, cmnVeclen: 28 } as const;
const cepstra = 13;

/** The model's own -cmninit (its feat.params overrides any given on the command line). */
function modelMean(): number[] {
  const params = fs.readFileSync(`${modelDir}/en-us/feat.params`, 'utf8');
  const match = /^-cmninit\s+(\S+)/m.exec(params);
  if (!match?.[1]) throw new Error('the acoustic model has no -cmninit in feat.params');
  return match[1].split(',').map(Number);
}

const close = (a: ArrayLike<number>, b: readonly number[]) =>
  a.length === b.length && b.every((value, i) => Math.abs((a[i] ?? NaN) - value) < 1e-3);

export class SphinxRecognizer extends SphinxDecoder {
  private readonly cmn: Handle;
  private readonly startMean = Float32Array.from(typicalSpeechMean);

  constructor() {
    super(recognizerArgs);
    try {
      this.cmn = this.locateCmn();
    } catch (error) {
      this.free();
      throw error;
    }
  }

  /** The decoder's cmn_t, after checking that it is where this build expects it. */
  private locateCmn(): Handle {
    const feat = this.lib.psGetFeat(this.ps);
    const wrong = (what: string) =>
      new Error(`PocketSphinx's feature state is not laid out as sphinxbase 5prealpha's: ${what}`);
    if (koffi.decode(feat, layout.cepsize, 'int32') !== cepstra) throw wrong('cepsize');
    const cmn = koffi.decode(feat, layout.cmnStruct, 'void *') as Handle | null;
    if (!cmn || koffi.decode(cmn, layout.cmnVeclen, 'int32') !== cepstra) throw wrong('veclen');
    const mean = new Float32Array(cepstra);
    this.lib.cmnLiveGet(cmn, mean);
    if (!close(mean, modelMean())) throw wrong('the mean does not read back as -cmninit');
    return cmn;
  }

  /** Starts an utterance from the fixed mean (which also resets the mean's running sums). */
  override start(): void {
    super.start();
    this.lib.cmnLiveSet(this.cmn, this.startMean);
  }
}
