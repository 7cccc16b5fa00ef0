/**
 * What instances sharing their work need, all real and started here: a Postgres, a Redis and an
 * S3-compatible bucket (s3rver, see s3.ts). Stopped and removed by `close`.
 */
import { startPostgres, type TestPostgres } from './postgres.js';
import { startRedis, type TestRedis } from './redis.js';
import { startS3, type TestS3 } from './s3.js';

export interface SharedServices {
  readonly postgres: TestPostgres;
  readonly redis: TestRedis;
  readonly s3: TestS3;
  close(): Promise<void>;
}

export async function startSharedServices(dir: string): Promise<SharedServices> {
  const postgres = await startPostgres();
  const redis = await startRedis();
  const s3 = await startS3(dir);
  return {
    postgres,
    redis,
    s3,
    async close() {
      await s3.close();
      await redis.close();
      postgres.stop();
    },
  };
}
