/**
 * Writes a zip: the one format this server packs its results in (avatar models, voice models).
 * Entries are deterministic (every mtime the epoch), so the same parts give the same bytes.
 */
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';

/** An entry from memory, or streamed from a file (a base video need not be read into memory). */
export type ZipEntry =
  | { readonly name: string; readonly data: Buffer }
  | { readonly name: string; readonly file: string };

/** Writes a zip (entry names use forward slashes, relative). */
export async function writeZip(destination: string, entries: readonly ZipEntry[]): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const entry of entries) {
    // Images and video are compressed already; storing them saves time and costs nothing.
    const compress = !/\.(png|jpe?g|webp|mp4|webm)$/i.test(entry.name);
    const options = { compress, mtime: new Date(0) };
    if ('file' in entry) zip.addFile(entry.file, entry.name, options);
    else zip.addBuffer(entry.data, entry.name, options);
  }
  zip.end();
  await pipeline(zip.outputStream, fs.createWriteStream(destination));
}
