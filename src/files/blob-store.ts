/**
 * Where files' bytes live, by file id: a local directory (the default), or an S3-compatible
 * bucket shared by many machines (s3-blob-store.ts). The file records (names, types, expiry) are
 * the database's; a blob store only keeps bytes. Ids reach it already checked (32 hex digits).
 */
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

/** Bytes `start` to `end`, both included. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

export interface BlobStore {
  /** Takes a finished local file in as `id`'s bytes (the file is moved or removed). */
  putFile(id: string, file: string): Promise<void>;
  /** The bytes of `id`, or of a range of them. */
  read(id: string, range?: ByteRange): Promise<Readable>;
  /**
   * A path on this machine with `id`'s bytes, for tools that need a file (ffmpeg, zip reading):
   * the file itself on a local store, a cached copy of the object on S3.
   */
  localPath(id: string): Promise<string>;
  /** Removes `id`'s bytes (and any cached copy); a missing blob is no error. */
  delete(id: string): Promise<void>;
  /** Throws, naming the store and why, when it cannot be used (checked at start). */
  check(): Promise<void>;
  /** What the store is, for logs and errors: a directory or an endpoint and bucket. */
  readonly where: string;
}

/** `id`'s place under `root`, spread over 256 directories by its first two digits. */
export function shardedPath(root: string, id: string): string {
  return path.join(root, id.slice(0, 2), id);
}

/** Moves `from` to `to`, copying when they are on different file systems. */
export async function moveFile(from: string, to: string): Promise<void> {
  await fs.mkdir(path.dirname(to), { recursive: true });
  await fs.rename(from, to).catch(async () => {
    await fs.copyFile(from, to);
    await fs.rm(from, { force: true });
  });
}

/** Blobs as files in a directory of this machine (`<dataDir>/files`). */
export class LocalBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  get where(): string {
    return this.root;
  }

  putFile(id: string, file: string): Promise<void> {
    return moveFile(file, shardedPath(this.root, id));
  }

  read(id: string, range?: ByteRange): Promise<Readable> {
    const file = shardedPath(this.root, id);
    return new Promise((resolve, reject) => {
      const stream = createReadStream(file, range ?? {});
      stream.once('open', () => resolve(stream));
      stream.once('error', reject);
    });
  }

  localPath(id: string): Promise<string> {
    return Promise.resolve(shardedPath(this.root, id));
  }

  async delete(id: string): Promise<void> {
    await fs.rm(shardedPath(this.root, id), { force: true });
  }

  async check(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true });
    await fs.access(this.root, fs.constants.W_OK);
  }
}
