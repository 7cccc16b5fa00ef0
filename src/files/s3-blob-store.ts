/**
 * Blobs as objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, Garage, SeaweedFS...), so API
 * instances and workers on different machines see the same files. Self-hosted stores are reached
 * path-style (`http://host:9000/bucket/key`). Tools that need a file get a copy cached on this
 * machine, fetched once and replaced atomically.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { newHexId } from '../util/ids.js';
import { shardedPath, type BlobStore, type ByteRange } from './blob-store.js';

export interface S3BlobStoreOptions {
  /** The store's address, e.g. http://127.0.0.1:9000 (empty: AWS's own for the region). */
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Key prefix inside the bucket, e.g. "anima/". */
  readonly prefix: string;
  /** This machine's directory for copies that tools read as files. */
  readonly cacheDir: string;
}

export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;

  constructor(private readonly options: S3BlobStoreOptions) {
    // The SDK's version is pinned (package.json): its notice that later versions will need Node 22
    // says nothing an operator can act on, on every start.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new S3Client({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
      credentials: {
        accessKeyId: options.accessKeyId,
        secretAccessKey: options.secretAccessKey,
      },
      // Checksums only where S3 requires them: self-hosted stores differ in what they accept.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  get where(): string {
    return `${this.options.endpoint || 'AWS S3'} bucket ${this.options.bucket}`;
  }

  private key(id: string): string {
    return `${this.options.prefix}${id.slice(0, 2)}/${id}`;
  }

  async putFile(id: string, file: string): Promise<void> {
    const { size } = await fs.stat(file);
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: this.key(id),
        Body: createReadStream(file),
        ContentLength: size,
      }),
    );
    await fs.rm(file, { force: true });
  }

  async read(id: string, range?: ByteRange): Promise<Readable> {
    const answer = await this.client.send(
      new GetObjectCommand({
        Bucket: this.options.bucket,
        Key: this.key(id),
        ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
      }),
    );
    if (!(answer.Body instanceof Readable)) throw new Error(`no body for ${this.key(id)}`);
    return answer.Body;
  }

  async localPath(id: string): Promise<string> {
    const cached = shardedPath(this.options.cacheDir, id);
    if (
      await fs.access(cached).then(
        () => true,
        () => false,
      )
    )
      return cached;
    await fs.mkdir(path.dirname(cached), { recursive: true });
    const temp = `${cached}.${newHexId()}.part`;
    try {
      await pipeline(await this.read(id), createWriteStream(temp, { mode: 0o600 }));
      await fs.rename(temp, cached);
    } finally {
      await fs.rm(temp, { force: true });
    }
    return cached;
  }

  async delete(id: string): Promise<void> {
    await this.client.send(
      new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.key(id) }),
    );
    await fs.rm(shardedPath(this.options.cacheDir, id), { force: true });
  }

  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.options.bucket }));
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata
        ?.httpStatusCode;
      if (status === 404) throw new Error('no such bucket (HTTP 404)', { cause: error });
      if (status === 403 || status === 401)
        throw new Error(`access refused (HTTP ${status}): check the keys`, { cause: error });
      throw error;
    }
  }

  /** Closes the client's connections. */
  close(): void {
    this.client.destroy();
  }
}
