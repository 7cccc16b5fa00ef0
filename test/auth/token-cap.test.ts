import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AuthService } from '../../src/auth/auth.service.js';
import { computeSign } from '../../src/auth/sign.js';
import { TokenSealer } from '../../src/auth/token-seal.js';
import { openDatabase } from '../../src/storage/database.js';
import { openPostgres } from '../../src/storage/postgres.js';
import { PostgresSql, SqliteSql, type SqlDb } from '../../src/storage/sql.js';
import { tempDir } from '../helpers/harness.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';

const hour = 3600 * 1000;
const config = {
  accessTokenTtlSeconds: 8 * 3600,
  refreshTokenTtlSeconds: 30 * 24 * 3600,
  maxAccessTokensPerApp: 2,
  signWindowSeconds: 300,
};

// The same rules on both databases: SQLite in a file, and a real Postgres.
const dir = tempDir();
let postgres: TestPostgres | undefined;
const closers: (() => Promise<void> | void)[] = [];
before(async () => {
  postgres = await startPostgres();
});
after(async () => {
  for (const close of closers.reverse()) await close();
  postgres?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

let opened = 0;
const backends: [string, () => Promise<() => SqlDb>][] = [
  [
    'SQLite',
    () => {
      const file = path.join(dir, `anima-${++opened}.db`);
      // Each call opens the file anew, as a restarted server would.
      return Promise.resolve(() => {
        const db = openDatabase(file);
        closers.push(() => {
          db.close();
        });
        return new SqliteSql(db);
      });
    },
  ],
  [
    'Postgres',
    async () => {
      if (!postgres) throw new Error('Postgres was not started');
      const url = await postgres.database();
      const pool = await openPostgres(url);
      closers.push(() => pool.end());
      return () => new PostgresSql(pool);
    },
  ],
];

/** The auth service over a database, on a clock the test moves. */
function authOn(sql: SqlDb, key: Buffer, clock: { now: number }) {
  return new AuthService(sql, new TokenSealer(key), config, () => clock.now);
}

for (const [name, database] of backends) {
  describe(`token cap on ${name}`, () => {
    test('a token is renewed only in its last eighth of life, and none is retired early', async () => {
      const clock = { now: Date.UTC(2026, 11, 1, 8) };
      const sql = (await database())();
      const auth = authOn(sql, randomBytes(32), clock);
      const app = await auth.createApp({});
      const sign = () => {
        const timestamp = String(clock.now);
        return auth.exchangeSign(
          app.appId,
          timestamp,
          computeSign(app.appId, timestamp, app.appKey),
        );
      };

      const first = await sign();
      const second = await sign();
      assert.notEqual(first.accessToken, second.accessToken, 'below the cap a token is minted');
      const atCap = await sign();
      assert.equal(atCap.accessToken, second.accessToken, 'at the cap the newest is answered');
      assert.equal(atCap.refreshToken, second.refreshToken);

      clock.now += 10 * 60 * 1000;
      const later = await sign();
      assert.equal(later.accessToken, second.accessToken);
      assert.equal(later.expiresIn, 8 * 3600 - 600, 'expiresIn is what is left of its life');

      // Half an hour before they expire both are in their last eighth: a new one is minted, and the
      // two old ones still work until their own end.
      clock.now += 7 * hour + 20 * 60 * 1000;
      const renewed = await sign();
      assert.ok(![first.accessToken, second.accessToken].includes(renewed.accessToken));
      assert.equal(renewed.expiresIn, 8 * 3600);
      const renewedAgain = await sign();
      assert.equal((await sign()).accessToken, renewedAgain.accessToken, 'the cap holds again');
      for (const grant of [first, second, renewed, renewedAgain])
        assert.equal(await auth.authenticate(grant.accessToken), app.appId);
      const live = await sql.get<{ n: number }>(
        "SELECT COUNT(*) AS n FROM tokens WHERE kind = 'access' AND expires_at > ?",
        [clock.now],
      );
      assert.equal(live?.n, 4, 'at most the cap fresh plus the cap in their last eighth');

      clock.now += hour;
      assert.equal(
        await auth.authenticate(first.accessToken),
        undefined,
        'expired at its own time',
      );
      assert.equal(await auth.authenticate(renewed.accessToken), app.appId);
    });

    test('refresh follows the same rule, and a lost server key only means minting anew', async () => {
      const clock = { now: Date.UTC(2026, 11, 1, 8) };
      const reopen = await database();
      const one = authOn(reopen(), randomBytes(32), clock);
      const app = await one.createApp({});
      const timestamp = String(clock.now);
      const signed = await one.exchangeSign(
        app.appId,
        timestamp,
        computeSign(app.appId, timestamp, app.appKey),
      );
      const refreshed = await one.refresh(app.appId, signed.refreshToken);
      const atCap = await one.refresh(app.appId, signed.refreshToken);
      assert.equal(
        atCap.accessToken,
        refreshed.accessToken,
        'refresh at the cap answers the newest',
      );
      assert.equal(await one.authenticate(signed.accessToken), app.appId);

      // The server key was replaced: held tokens still work (lookups go by hash), sealed ones cannot
      // be handed out, so new ones are minted rather than anything failing.
      const two = authOn(reopen(), randomBytes(32), clock);
      const fresh = await two.refresh(app.appId, signed.refreshToken);
      assert.ok(![signed.accessToken, refreshed.accessToken].includes(fresh.accessToken));
      assert.equal(await two.authenticate(fresh.accessToken), app.appId);
      assert.equal(await two.authenticate(signed.accessToken), app.appId);
    });
  });
}
