import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { durationMs } from '../../media/pcm.js';
import { abortError } from '../../media/process.runner.js';
import type {
  PhonemeTiming,
  SynthesisOptions,
  SynthesisResult,
  TtsEngine,
  WordTiming,
} from './tts.types.js';
import { writtenForms } from './written-forms.js';

interface Pending {
  readonly id: number;
  readonly file: string;
  readonly text: string;
  readonly sampleRate: number;
  readonly phonemes: PhonemeTiming[];
  readonly words: WordTiming[];
  lastPhonemeEnd: number;
  lastToken: string;
  readonly resolve: (result: SynthesisResult) => void;
  readonly reject: (error: Error) => void;
}

/** A Scheme string literal: only backslash and double quote need escaping. */
export function schemeString(text: string): string {
  return `"${text.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}

/**
 * Festival kept warm: one long-lived `festival --pipe` process, loaded once, answering requests
 * in order. Each request is tagged with an id; if the process dies every pending request fails
 * and the next one starts a fresh process. Phoneme (Segment) and word times come from the
 * utterance itself, so they are exact to the audio.
 */
export class FestivalEngine implements TtsEngine {
  readonly name = 'festival';
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly pending: Pending[] = [];
  private currentVoice = '';
  private nextId = 1;
  private workDir: string | undefined;

  /** `tmpRoot`: where its work directory goes (the server gives its data directory's tmp/). */
  constructor(private readonly tmpRoot = os.tmpdir()) {}

  async synthesize(text: string, options: SynthesisOptions): Promise<SynthesisResult> {
    if (options.signal?.aborted) throw abortError(options.signal);
    const child = this.ensureStarted();
    const id = this.nextId++;
    const file = path.join(this.workDir ?? this.tmpRoot, `${id}.raw`);
    const voice = options.engineVoice;
    const rate = options.rate.toFixed(4);
    const script = [
      voice !== this.currentVoice ? `(voice_${voice}) (set! anima_hts_base hts_engine_params)` : '',
      // HTS voices take their speed from the engine's -r; diphone voices from Duration_Stretch.
      `(set! hts_engine_params (append anima_hts_base '(("-r" ${rate}))))`,
      `(Parameter.set 'Duration_Stretch ${(1 / options.rate).toFixed(4)})`,
      `(set! anima_u (utt.synth (Utterance Text ${schemeString(text)})))`,
      `(utt.wave.resample anima_u ${options.sampleRate})`,
      `(utt.save.wave anima_u ${schemeString(file)} 'raw)`,
      `(mapcar (lambda (s) (format t "P %s %f\\n" (item.name s) (item.feat s "end"))) (utt.relation.items anima_u 'Segment))`,
      // Words grouped by the token they were read from, so "$12" is one word as written.
      `(mapcar (lambda (w) (format t "W\\t%f\\t%f\\t%s\\t%s\\n" (item.feat w "word_start") (item.feat w "word_end") (item.feat w "R:Token.parent.id") (item.feat w "R:Token.parent.name"))) (utt.relation.items anima_u 'Word))`,
      `(format t "DONE ${id}\\n")`,
      '(fflush nil)',
      '',
    ].join('\n');
    this.currentVoice = voice;
    const result = new Promise<SynthesisResult>((resolve, reject) => {
      this.pending.push({
        id,
        file,
        text,
        sampleRate: options.sampleRate,
        phonemes: [],
        words: [],
        lastPhonemeEnd: 0,
        lastToken: '',
        resolve,
        reject,
      });
    });
    child.stdin.write(script);
    const synthesized = await result;
    if (options.signal?.aborted) throw abortError(options.signal);
    return synthesized;
  }

  /** Synchronous up to the spawn, so concurrent first requests share one process. */
  private ensureStarted(): ChildProcessWithoutNullStreams {
    if (this.child && this.child.exitCode === null) return this.child;
    if (!this.workDir) {
      mkdirSync(this.tmpRoot, { recursive: true });
      this.workDir = mkdtempSync(path.join(this.tmpRoot, 'anima-festival-'));
    }
    // Anything Festival itself puts in a temporary directory goes to its work directory too.
    const child = spawn('festival', ['--pipe'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8', TMPDIR: this.workDir },
    });
    this.child = child;
    this.currentVoice = '';
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
    child.stdin.on('error', () => undefined);
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => void this.onLine(line, () => stderr));
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      const error = new Error(
        `festival stopped (${code ?? signal}): ${stderr.trim().split('\n').slice(-3).join(' ')}`,
      );
      for (const request of this.pending.splice(0)) request.reject(error);
    });
    return child;
  }

  private async onLine(line: string, stderr: () => string): Promise<void> {
    const request = this.pending[0];
    if (!request) return;
    if (line.startsWith('P ')) {
      const [, symbol = '', end = '0'] = line.split(' ');
      const endMs = Math.round(Number(end) * 1000);
      request.phonemes.push({ symbol, beginMs: request.lastPhonemeEnd, endMs });
      request.lastPhonemeEnd = endMs;
    } else if (line.startsWith('W\t')) {
      const [, start = '0', end = '0', token = '', name = ''] = line.split('\t');
      const beginMs = Math.round(Number(start) * 1000);
      const endMs = Math.round(Number(end) * 1000);
      const last = request.words.at(-1);
      if (last && token === request.lastToken) {
        request.words[request.words.length - 1] = { ...last, endMs };
      } else {
        request.words.push({ text: name, beginMs, endMs });
      }
      request.lastToken = token;
    } else if (line.startsWith(`DONE ${request.id}`)) {
      this.pending.shift();
      try {
        const pcm = await fs.readFile(request.file);
        await fs.rm(request.file, { force: true });
        request.resolve({
          pcm,
          sampleRate: request.sampleRate,
          durationMs: durationMs(pcm, request.sampleRate),
          phonemes: request.phonemes,
          words: writtenForms(request.text, request.words),
        });
      } catch (error) {
        request.reject(
          new Error(
            `festival produced no audio: ${stderr().trim().split('\n').slice(-2).join(' ')}`,
            { cause: error },
          ),
        );
      }
    } else if (line.includes('SIOD ERROR')) {
      this.pending.shift();
      request.reject(new Error(`festival: ${line.trim()}`));
    }
  }

  async close(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      });
    }
    if (this.workDir) await fs.rm(this.workDir, { recursive: true, force: true });
  }
}
