import { Transform } from 'node:stream';
import { fileTypeFromBuffer, fileTypeFromFile, type FileTypeResult } from 'file-type';
import { AppError } from '../errors/app-error.js';

export type MediaClass = 'video' | 'audio' | 'image' | 'zip';

export interface Sniffed {
  readonly mimeType: string;
  readonly ext: string;
  readonly mediaClass: MediaClass;
}

export type SniffResult = Sniffed | { readonly unknown: string };

const allClasses: readonly MediaClass[] = ['video', 'audio', 'image', 'zip'];

/** file-type's own sample size: the leading bytes that identify the types we take. */
const sniffSampleBytes = 4100;

function classify(type: FileTypeResult | undefined): SniffResult {
  if (!type) return { unknown: 'unknown (not a media file)' };
  // file-type names MPEG program streams by their pack type; players know them as video/mpeg.
  const raw = type.mime.toLowerCase();
  const mime = raw === 'video/mp1s' || raw === 'video/mp2p' ? 'video/mpeg' : raw;
  if (mime === 'application/zip') return { mimeType: mime, ext: type.ext, mediaClass: 'zip' };
  if (mime === 'application/ogg')
    return { mimeType: 'audio/ogg', ext: type.ext, mediaClass: 'audio' };
  const top = mime.split('/')[0];
  if (top === 'video' || top === 'audio' || top === 'image') {
    return { mimeType: mime, ext: type.ext, mediaClass: top };
  }
  return { unknown: mime };
}

/** What a file is, read from its first bytes; the name and the client's Content-Type are not trusted. */
export async function sniffFile(file: string): Promise<SniffResult> {
  return classify(await fileTypeFromFile(file));
}

/** The kind of a file we hold, from the type recorded when it came in (or was made). */
export function storedType(mimeType: string): SniffResult {
  const ext = '';
  const mime = mimeType.toLowerCase();
  if (mime === 'application/zip') return { mimeType: mime, ext, mediaClass: 'zip' };
  const top = mime.split('/')[0];
  if (top === 'video' || top === 'audio' || top === 'image') {
    return { mimeType: mime, ext, mediaClass: top };
  }
  return { unknown: mime };
}

/** The sniffed type when `accept` (any media class when absent) takes it; else a clear refusal. */
export function acceptedType(sniffed: SniffResult, accept?: readonly MediaClass[]): Sniffed {
  if ('unknown' in sniffed || (accept && !accept.includes(sniffed.mediaClass))) {
    const detected = 'unknown' in sniffed ? sniffed.unknown : sniffed.mimeType;
    throw new AppError('fileTypeUnsupported', {
      detected,
      expected: (accept ?? allClasses).join(', '),
    });
  }
  return sniffed;
}

/**
 * Passes a stream through once its first bytes show an accepted type, and fails it as soon as they
 * do not: a 50 MB text file is refused after 4 KB, not once it is all on disk. The whole file is
 * still sniffed at the end, which has the last word.
 */
export function typeGate(accept?: readonly MediaClass[]): Transform {
  const held: Buffer[] = [];
  let heldBytes = 0;
  let open = false;
  const decide = async (push: (chunk: Buffer) => void): Promise<void> => {
    acceptedType(classify(await fileTypeFromBuffer(Buffer.concat(held))), accept);
    open = true;
    for (const chunk of held.splice(0)) push(chunk);
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (open) return callback(null, chunk);
      held.push(chunk);
      heldBytes += chunk.length;
      if (heldBytes < sniffSampleBytes) return callback();
      decide((c) => this.push(c)).then(() => callback(), callback);
    },
    flush(callback) {
      if (open) return callback();
      decide((c) => this.push(c)).then(() => callback(), callback);
    },
  });
}
