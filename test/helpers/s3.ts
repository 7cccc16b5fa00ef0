/**
 * An S3-compatible server for a test: s3rver (an S3 server for tests, from npm; no S3-compatible
 * product installs from Debian or npm here), on a loopback port, with the bucket `anima`, reached
 * over HTTP path-style as MinIO would be.
 */
import path from 'node:path';
import S3rver from 's3rver';

export interface TestS3 {
  readonly endpoint: string;
  /** The settings that put a server's files in the bucket. */
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

export async function startS3(dir: string): Promise<TestS3> {
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: path.join(dir, 's3rver'),
    configureBuckets: [{ name: 'anima' }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    env: {
      ANIMA_S3_BUCKET: 'anima',
      ANIMA_S3_ENDPOINT: endpoint,
      ANIMA_S3_ACCESS_KEY_ID: 'S3RVER',
      ANIMA_S3_SECRET_ACCESS_KEY: 'S3RVER',
    },
    close: () => server.close(),
  };
}
