import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';

test('defaults parse, and the result is frozen', () => {
  const config = loadConfig({ env: {} });
  assert.equal(config.port, 8080);
  assert.equal(config.dataDir, path.resolve('./data'));
  assert.equal(config.accessTokenTtlSeconds, 8 * 3600);
  assert.equal(config.maxAccessTokensPerApp, 2);
  assert.equal(config.signWindowSeconds, 300);
  assert.equal(config.fileRetentionDays, 7);
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.concurrency));
});

test('flags win over environment variables', () => {
  const config = loadConfig({
    env: { ANIMA_PORT: '9000', ANIMA_DATA: '/tmp/x' },
    flags: { port: '9001' },
  });
  assert.equal(config.port, 9001);
  assert.equal(config.dataDir, '/tmp/x');
});

test('every bad setting is reported at once', () => {
  assert.throws(
    () =>
      loadConfig({
        env: {
          ANIMA_PORT: 'eighty',
          ANIMA_FETCH_ALLOW_PRIVATE: 'maybe',
          ANIMA_CONCURRENCY: 'video.render=0',
          ANIMA_LOG_LEVEL: 'loud',
        },
      }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.problems.length, 4);
      assert.match(error.message, /ANIMA_PORT \(port\): expected a whole number/);
      assert.match(error.message, /ANIMA_FETCH_ALLOW_PRIVATE/);
      assert.match(error.message, /ANIMA_CONCURRENCY/);
      assert.match(error.message, /ANIMA_LOG_LEVEL/);
      return true;
    },
  );
});

test('lists and per-type concurrency parse', () => {
  const config = loadConfig({
    env: {
      ANIMA_CONCURRENCY: 'video.render=2, avatar.build=1',
      ANIMA_FETCH_ALLOW_HOSTS: 'NAS.local, 10.0.0.5',
    },
  });
  assert.deepEqual(config.concurrency, { 'video.render': 2, 'avatar.build': 1 });
  assert.deepEqual(config.fetchAllowHosts, ['nas.local', '10.0.0.5']);
});

test('shared parts are checked together: roles need Redis and Postgres, S3 its keys, live UDP a range', () => {
  const refused = (env: Record<string, string>, pattern: RegExp) =>
    assert.throws(
      () => loadConfig({ env }),
      (error: unknown) => error instanceof ConfigError && pattern.test(error.message),
    );
  refused({ ANIMA_ROLE: 'api' }, /give ANIMA_REDIS_URL and ANIMA_DATABASE_URL/);
  refused({ ANIMA_ROLE: 'worker', ANIMA_REDIS_URL: 'redis://r:6379' }, /ANIMA_DATABASE_URL/);
  refused({ ANIMA_ROLE: 'both' }, /expected one of all, api, worker/);
  refused({ ANIMA_DATABASE_URL: 'mysql://db/x' }, /expected postgres:\/\//);
  refused({ ANIMA_DATABASE_URL: 'mysql://u:secret@db/x' }, /u:\*\*\*@/);
  refused({ ANIMA_REDIS_URL: 'localhost:6379' }, /expected redis:\/\//);
  refused({ ANIMA_S3_BUCKET: 'b' }, /ANIMA_S3_ACCESS_KEY_ID and ANIMA_S3_SECRET_ACCESS_KEY/);
  refused({ ANIMA_SECRET: 'short' }, /at least 32/);
  refused({ ANIMA_LIVE_UDP_PORTS: '40000' }, /expected begin-end within 1024-65535/);
  refused({ ANIMA_LIVE_UDP_PORTS: '41000-40000' }, /expected begin-end/);
  refused({ ANIMA_LIVE_UDP_PORTS: '80-90' }, /expected begin-end/);
  refused({ ANIMA_LIVE_ICE_ADDRESS: 'worker-1.local' }, /expected an IP address/);
  const live = loadConfig({
    env: { ANIMA_LIVE_UDP_PORTS: '40000-40999', ANIMA_LIVE_ICE_ADDRESS: '10.0.0.7' },
  });
  assert.deepEqual([live.liveUdpPorts, live.liveIceAddress], ['40000-40999', '10.0.0.7']);
  const worker = loadConfig({
    env: {
      ANIMA_ROLE: 'worker',
      ANIMA_REDIS_URL: 'redis://r:6379',
      ANIMA_DATABASE_URL: 'postgres://u:p@db:5432/anima',
    },
  });
  assert.deepEqual(
    [worker.role, worker.queueLockSeconds, worker.redisPrefix],
    ['worker', 30, 'anima'],
  );
});
