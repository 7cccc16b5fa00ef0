import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, isAppError } from '../errors/app-error.js';
import type { AddressPolicy } from '../net/address-policy.js';
import { safeRequest } from '../net/safe-request.js';
import { hmacHex, newHexId, safeEqual } from '../util/ids.js';
import type { BlobStore, ByteRange } from './blob-store.js';
import type { FileOrigin, FileRepository, StoredFile } from './file.repository.js';
import { acceptedType, sniffFile, storedType, typeGate, type MediaClass } from './sniff.js';
import { unusable } from '../util/url-text.js';

export interface FileServiceOptions {
  readonly dataDir: string;
  /** Where the files' bytes are kept: a directory here, or an S3-compatible bucket. */
  readonly blobs: BlobStore;
  readonly secret: Buffer;
  readonly retentionDays: number;
  readonly uploadLimitBytes: number;
  readonly fetchMaxBytes: number;
  readonly fetchTimeoutMs: number;
  readonly policy: AddressPolicy;
  /** The public base URL, known once the server listens. */
  readonly publicUrl: () => string;
  readonly now?: () => number;
}

/** A file named by the client: one of its files, or a media URL. */
export interface MediaRef {
  readonly fileId?: string | undefined;
  readonly url?: string | undefined;
}

const idPattern = /^[0-9a-f]{32}$/;
const partialPattern = /^[0-9a-f]{32}\.part$/;
const downloadPrefix = '/api/files/v1/';

/** Counts bytes and hashes them on the way to disk; fails once the limit is passed. */
function meter(
  limit: number,
  onTooLarge: () => Error,
): { transform: Transform; result: () => { size: number; sha256: string } } {
  const hash = createHash('sha256');
  let size = 0;
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > limit) {
        callback(onTooLarge());
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  return { transform, result: () => ({ size, sha256: hash.digest('hex') }) };
}

interface IngestOptions {
  readonly clientName: string;
  readonly appId: string;
  readonly origin: FileOrigin;
  readonly limit: number;
  readonly onTooLarge: () => Error;
  readonly accept?: readonly MediaClass[] | undefined;
  /** What a failure that began at the source (the client's body, the remote server) means. */
  readonly onSourceError: (error: unknown) => unknown;
}

/**
 * Pipes a stream through checks into a file. A failure that began at the source goes through
 * `onSourceError`; one that began at the disk (ENOSPC) does not: the pipeline hands the first error
 * to every stream, so only the order in which they report it tells where it began.
 */
async function copyToDisk(
  source: Readable,
  checks: readonly Transform[],
  file: string,
  onSourceError: (error: unknown) => unknown,
): Promise<void> {
  const sink = createWriteStream(file, { mode: 0o600 });
  let sourceFirst: boolean | undefined;
  source.once('error', () => (sourceFirst ??= true));
  sink.once('error', () => (sourceFirst ??= false));
  try {
    await pipeline([source, ...checks, sink]);
  } catch (error) {
    throw !isAppError(error) && sourceFirst === true ? onSourceError(error) : error;
  }
}

/**
 * Files: uploads streamed to disk, remote media fetched safely, signed expiring download links,
 * and retention. Every path is derived from a validated 32-hex id, never from user input.
 */
export class FileService {
  private readonly now: () => number;

  constructor(
    private readonly repo: FileRepository,
    private readonly options: FileServiceOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  get retentionMs(): number {
    return this.options.retentionDays * 24 * 3600 * 1000;
  }

  /**
   * A path on this machine with a file's bytes, for tools that read files (ffmpeg, the model
   * reader). Only ids of our own shape get one.
   */
  localPath(id: string): Promise<string> {
    if (!idPattern.test(id))
      throw new AppError('fileNotFound', { fileId: id, retentionDays: this.options.retentionDays });
    return this.options.blobs.localPath(id);
  }

  /** Fails with one line naming the file store and why when it cannot be used (checked at start). */
  async checkStore(): Promise<void> {
    const { blobs } = this.options;
    try {
      await blobs.check();
    } catch (error) {
      throw unusable('the file store', blobs.where, error);
    }
  }

  /** A stored file's bytes, or a range of them. */
  read(file: StoredFile, range?: ByteRange): Promise<Readable> {
    return this.options.blobs.read(file.id, range);
  }

  private tempPath(): string {
    return path.join(this.options.dataDir, 'tmp', `${newHexId()}.part`);
  }

  /**
   * Streams an upload to disk within the size limit, sniffs its type, and records it.
   * `onBodyError`: what a failure of the body itself (not of the disk) means to the client.
   */
  async saveUpload(
    stream: Readable,
    clientName: string,
    appId: string,
    onBodyError: (error: unknown) => unknown = (error) => error,
  ): Promise<StoredFile> {
    const limit = this.options.uploadLimitBytes;
    return this.ingest(stream, {
      clientName,
      appId,
      origin: 'upload',
      limit,
      onTooLarge: () => new AppError('fileTooLarge', { limitBytes: limit }),
      onSourceError: onBodyError,
    });
  }

  /** Fetches a remote media URL into a file, with the address policy, size and time limits. */
  async fetchRemote(
    url: string,
    appId: string,
    signal?: AbortSignal,
    accept?: readonly MediaClass[],
  ): Promise<StoredFile> {
    const limit = this.options.fetchMaxBytes;
    const timeoutMs = this.options.fetchTimeoutMs;
    const deadline = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    const response = await safeRequest(url, {
      policy: this.options.policy,
      timeoutMs,
      signal: combined,
    });
    if (response.status !== 200) {
      response.body.resume();
      throw new AppError('remoteFetchFailed', {
        url,
        reason: `the server answered HTTP ${response.status}`,
      });
    }
    const declared = Number(response.headers['content-length'] ?? NaN);
    if (declared > limit) {
      response.body.destroy();
      throw new AppError('remoteTooLarge', { url, limitBytes: limit });
    }
    const name =
      decodeURIComponent(path.posix.basename(new URL(response.url).pathname)) || 'download';
    try {
      return await this.ingest(response.body, {
        clientName: name,
        appId,
        origin: 'fetch',
        limit,
        onTooLarge: () => new AppError('remoteTooLarge', { url, limitBytes: limit }),
        accept,
        // The remote server broke off (a time-out or a cancel is told apart below).
        onSourceError: (error) =>
          deadline.aborted || signal?.aborted
            ? error
            : new AppError(
                'remoteFetchFailed',
                { url, reason: 'the connection broke off before the whole file arrived' },
                { cause: error },
              ),
      });
    } catch (error) {
      if (deadline.aborted && !(error instanceof AppError)) {
        throw new AppError(
          'remoteTimeout',
          { url, seconds: Math.round(timeoutMs / 1000) },
          { cause: error },
        );
      }
      throw error;
    }
  }

  /**
   * Records a file the platform made (a video, a model) and moves it into the store. Results
   * expire with the retention period; `keep`: a model its id stands for, kept until deleted (its
   * signed links still expire).
   */
  async saveResult(
    sourcePath: string,
    name: string,
    appId: string,
    mimeType: string,
    keep = false,
  ): Promise<StoredFile> {
    const id = newHexId();
    const hash = createHash('sha256');
    await pipeline((await fs.open(sourcePath)).createReadStream(), hash);
    const stat = await fs.stat(sourcePath);
    await this.options.blobs.putFile(id, sourcePath);
    const file: StoredFile = {
      id,
      appId,
      name: safeName(name),
      mimeType,
      size: stat.size,
      sha256: hash.digest('hex'),
      origin: 'result',
      createdAt: this.now(),
      expiresAt: keep ? null : this.now() + this.retentionMs,
    };
    await this.repo.insert(file);
    return file;
  }

  private async ingest(stream: Readable, options: IngestOptions): Promise<StoredFile> {
    const { clientName, appId, origin, accept } = options;
    const temp = this.tempPath();
    await fs.mkdir(path.dirname(temp), { recursive: true });
    try {
      const counter = meter(options.limit, options.onTooLarge);
      await copyToDisk(stream, [counter.transform, typeGate(accept)], temp, options.onSourceError);
      const { size, sha256 } = counter.result();
      const sniffed = acceptedType(await sniffFile(temp), accept);
      const id = newHexId();
      await this.options.blobs.putFile(id, temp);
      const now = this.now();
      const file: StoredFile = {
        id,
        appId,
        name: safeName(clientName, sniffed.ext),
        mimeType: sniffed.mimeType,
        size,
        sha256,
        origin,
        createdAt: now,
        expiresAt: now + this.retentionMs,
      };
      await this.repo.insert(file);
      return file;
    } finally {
      await fs.rm(temp, { force: true });
    }
  }

  /** A file of this app (or a platform file with no app), or a clear not-found. */
  async get(id: string, appId: string): Promise<StoredFile> {
    const file = idPattern.test(id) ? await this.repo.find(id) : undefined;
    if (!file || (file.appId !== null && file.appId !== appId) || this.isExpired(file)) {
      throw new AppError('fileNotFound', { fileId: id, retentionDays: this.options.retentionDays });
    }
    return file;
  }

  /**
   * Opens what a request named (a fileId, one of our download links, or a remote URL) as a stored
   * file of this app, of a kind `accept` takes (any, when absent), however it was named: a fetch
   * is refused as it arrives, a file already here by the type it was stored with.
   */
  async resolve(
    ref: MediaRef,
    appId: string,
    signal?: AbortSignal,
    accept?: readonly MediaClass[],
  ): Promise<StoredFile> {
    const local = await this.local(ref, appId, accept);
    if (local) return local;
    if (!ref.url)
      throw new AppError(
        'badParams',
        {},
        { detail: [{ field: 'url', problem: 'give a url or a fileId' }] },
      );
    return this.fetchRemote(ref.url, appId, signal, accept);
  }

  /**
   * The stored file a reference names when it is already here (a fileId, or a link this server
   * handed out), checked against `accept`; undefined for a remote URL, which only a task fetches.
   */
  async local(
    ref: MediaRef,
    appId: string,
    accept?: readonly MediaClass[],
  ): Promise<StoredFile | undefined> {
    const own = ref.fileId ?? (ref.url ? await this.ownLink(ref.url) : undefined);
    if (own === undefined) return undefined;
    const file = await this.get(own, appId);
    acceptedType(storedType(file.mimeType), accept);
    return file;
  }

  /** A download link that works without a token until it expires. */
  signedUrl(file: StoredFile, expiresAt = file.expiresAt ?? this.now() + this.retentionMs): string {
    const expires = Math.floor(expiresAt / 1000);
    const signature = this.signature(file.id, expires);
    return `${this.options.publicUrl()}${downloadPrefix}${file.id}/${encodeURIComponent(file.name)}?expires=${expires}&signature=${signature}`;
  }

  /** The file a signed link names, when the signature is good and the link has not expired. */
  async verifyLink(id: string, expires: string, signature: string): Promise<StoredFile> {
    const seconds = Number(expires);
    const valid =
      idPattern.test(id) &&
      /^\d+$/.test(expires) &&
      seconds * 1000 > this.now() &&
      safeEqual(this.signature(id, seconds), signature);
    if (!valid) throw new AppError('downloadLinkInvalid');
    const file = await this.repo.find(id);
    if (!file || this.isExpired(file)) throw new AppError('downloadLinkInvalid');
    return file;
  }

  /** Removes expired files and their records; returns how many went. */
  async sweep(): Promise<number> {
    let removed = 0;
    for (;;) {
      const batch = await this.repo.expired(this.now(), 500);
      for (const file of batch) {
        await this.options.blobs.delete(file.id);
        await this.repo.delete(file.id);
        removed++;
      }
      if (batch.length < 500) return removed;
    }
  }

  /**
   * Removes the partial uploads and fetches a crash left in tmp/ (only names this service makes;
   * anything else there is not ours). Run at start-up, before any upload can be in flight.
   */
  async sweepPartials(): Promise<number> {
    const dir = path.dirname(this.tempPath());
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    const partials = names.filter((name) => partialPattern.test(name));
    await Promise.all(partials.map((name) => fs.rm(path.join(dir, name), { force: true })));
    return partials.length;
  }

  private isExpired(file: StoredFile): boolean {
    return file.expiresAt !== null && file.expiresAt <= this.now();
  }

  private signature(id: string, expires: number): string {
    return hmacHex(this.options.secret, `${id}.${expires}`);
  }

  private async ownLink(raw: string): Promise<string | undefined> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return undefined;
    }
    const base = new URL(this.options.publicUrl());
    if (url.origin !== base.origin || !url.pathname.startsWith(downloadPrefix)) return undefined;
    const id = url.pathname.slice(downloadPrefix.length).split('/')[0] ?? '';
    const file = await this.verifyLink(
      id,
      url.searchParams.get('expires') ?? '',
      url.searchParams.get('signature') ?? '',
    );
    return file.id;
  }
}

/** A display name with no path and no control characters, ending in the sniffed extension. */
export function safeName(raw: string, ext?: string): string {
  const base = path.posix.basename(raw.replace(/\\/g, '/'));
  // eslint-disable-next-line no-control-regex
  let name = base.replace(/[\u0000-\u001f\u007f"<>|:*?]/g, '_').slice(0, 120) || 'file';
  if (ext && !name.toLowerCase().endsWith(`.${ext}`))
    name = `${name.replace(/\.[^.]*$/, '')}.${ext}`;
  return name;
}
