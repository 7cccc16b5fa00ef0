/**
 * The avatar model package: a zip holding `assets/` (images, base video) and `models/` (the
 * manifest and per-frame data). Written by the avatar build, read by video and live. Reading
 * never extracts to disk and refuses what could hurt: paths that climb out (zip slip), symbolic
 * links, absurd entry counts and sizes (zip bombs: the directory's sizes are checked, per entry
 * and in total, before anything is inflated, and yauzl holds the inflated bytes to them), and a
 * manifest that lacks what the renderer reads. (Writing is the shared zip writer's, in storage/.)
 */
import yauzl from 'yauzl';
import { AppError } from '../errors/app-error.js';
import { manifestProblems, type ModelManifest } from './model-manifest.js';

export const manifestPath = 'models/manifest.json';

export interface PackageLimits {
  readonly maxEntries: number;
  /** Inflated bytes of the whole package, as its directory declares them (checked before reading). */
  readonly maxTotalBytes: number;
  /** Inflated bytes per compressed byte, for entries over 1 MB: above it is a bomb. */
  readonly maxRatio: number;
  /**
   * The same over the whole package, once it inflates past 16 MB: many entries each too small
   * to be judged alone (a thousand of 1 MB of zeros) are a bomb together. A real model's bulk is
   * its base video and pictures, stored as they are, so its ratio is near 1.
   */
  readonly maxTotalRatio: number;
}

/**
 * A model holds about 15 entries, and a 4K model's base video and mouths come to tens of MB: the
 * limits leave ample room, and bound what opening any zip can cost (it is read into memory).
 */
export const defaultPackageLimits: PackageLimits = {
  maxEntries: 256,
  maxTotalBytes: 256 * 1024 ** 2,
  maxRatio: 200,
  maxTotalRatio: 20,
};

const refuse = (reason: string) => new AppError('avatarModelUnsafe', { reason });
const symlinkMode = 0o120000;

/** The first error of the model's validation, in the FAQ's words where the FAQ has them. */
function notAModel(cause?: unknown): AppError {
  return new AppError('avatarModelInvalid', {}, cause === undefined ? {} : { cause });
}

/** A package read into memory, after every check passed. */
export interface ModelPackage {
  readonly entries: ReadonlyMap<string, Buffer>;
  readonly manifest: ModelManifest;
}

/**
 * Every file entry of the package, checked as its directory declares it before a byte is
 * inflated: names that climb out, links, and the count, total and ratio limits.
 */
async function listEntries(zip: yauzl.ZipFile, limits: PackageLimits): Promise<yauzl.Entry[]> {
  if (zip.entryCount > limits.maxEntries) {
    throw refuse(`it holds ${zip.entryCount} entries, more than ${limits.maxEntries}`);
  }
  const files: yauzl.Entry[] = [];
  let total = 0;
  let compressed = 0;
  for await (const entry of zip.eachEntry()) {
    const name = entry.fileName;
    if (name.startsWith('/') || name.split('/').includes('..') || name.includes('\\')) {
      throw refuse(`the entry "${name}" points outside the package`);
    }
    if (((entry.externalFileAttributes >>> 16) & 0o170000) === symlinkMode) {
      throw refuse(`the entry "${name}" is a symbolic link`);
    }
    if (name.endsWith('/')) continue;
    const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
    if (entry.uncompressedSize > 1024 ** 2 && ratio > limits.maxRatio) {
      throw refuse(`the entry "${name}" inflates ${Math.round(ratio)} times: a zip bomb`);
    }
    total += entry.uncompressedSize;
    compressed += entry.compressedSize;
    if (total > limits.maxTotalBytes) {
      throw refuse(`it inflates to more than ${limits.maxTotalBytes} bytes`);
    }
    files.push(entry);
  }
  const totalRatio = total / Math.max(1, compressed);
  if (total > 16 * 1024 ** 2 && totalRatio > limits.maxTotalRatio) {
    throw refuse(`its ${files.length} entries inflate ${Math.round(totalRatio)} times: a zip bomb`);
  }
  return files;
}

/** Reads and checks a package file; throws AppError (6001 or the unsafe-zip error). */
export async function readPackage(
  file: string,
  limits: PackageLimits = defaultPackageLimits,
): Promise<ModelPackage> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(file, {
      lazyEntries: true,
      autoClose: false,
      strictFileNames: true,
      validateEntrySizes: true,
    });
  } catch (error) {
    throw notAModel(error);
  }
  try {
    const listed = await listEntries(zip, limits);
    const entries = new Map<string, Buffer>();
    for (const entry of listed) {
      // yauzl checks the inflated bytes against the declared size as it reads.
      const stream = await zip.openReadStreamPromise(entry);
      const chunks: Buffer[] = [];
      for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
      entries.set(entry.fileName, Buffer.concat(chunks));
    }
    const names = [...entries.keys()];
    if (
      !names.some((name) => name.startsWith('assets/')) ||
      !names.some((name) => name.startsWith('models/'))
    ) {
      throw notAModel();
    }
    const manifestBytes = entries.get(manifestPath);
    if (!manifestBytes) throw notAModel();
    let manifest: unknown;
    try {
      manifest = JSON.parse(manifestBytes.toString('utf8'));
    } catch (error) {
      throw notAModel(error);
    }
    if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest))
      throw notAModel();
    const problems = manifestProblems(manifest, (name) => entries.has(name));
    if (problems.length > 0) throw refuse(`its manifest is invalid: ${problems.join('; ')}`);
    return { entries, manifest: manifest as ModelManifest };
  } catch (error) {
    if (error instanceof AppError) throw error;
    // It opened as a zip, so what failed inside is damage or a trick: a bad name, a size lie.
    throw refuse(error instanceof Error ? error.message : String(error));
  } finally {
    zip.close();
  }
}
