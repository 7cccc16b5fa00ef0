import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { AppRepository } from '../../src/auth/app.repository.js';
import { AuthService } from '../../src/auth/auth.service.js';
import { computeSign } from '../../src/auth/sign.js';
import { TokenSealer } from '../../src/auth/token-seal.js';
import { TokenRepository } from '../../src/auth/token.repository.js';
import { openDatabase } from '../../src/storage/database.js';
import { tempDir } from '../helpers/harness.js';

const hour = 3600 * 1000;
const config = {
  accessTokenTtlSeconds: 8 * 3600,
  refreshTokenTtlSeconds: 30 * 24 * 3600,
  maxAccessTokensPerApp: 2,
  signWindowSeconds: 300,
};

/** The auth service over a real SQLite file, on a clock the test moves. */
function authAt(dir: string, key: Buffer, clock: { now: number }) {
  const db = openDatabase(path.join(dir, 'anima.db'));
  const auth = new AuthService(
    db,
    new AppRepository(db),
    new TokenRepository(db),
    new TokenSealer(key),
    config,
    () => clock.now,
  );
  return { db, auth };
}

test('a token is renewed only in its last eighth of life, and none is retired early', (t) => {
  const dir = tempDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const clock = { now: Date.UTC(2026, 11, 1, 8) };
  const { db, auth } = authAt(dir, randomBytes(32), clock);
  t.after(() => db.close());
  const app = auth.createApp({});
  const sign = () => {
    const timestamp = String(clock.now);
    return auth.exchangeSign(app.appId, timestamp, computeSign(app.appId, timestamp, app.appKey));
  };

  const first = sign();
  const second = sign();
  assert.notEqual(first.accessToken, second.accessToken, 'below the cap a token is minted');
  const atCap = sign();
  assert.equal(atCap.accessToken, second.accessToken, 'at the cap the newest is answered');
  assert.equal(atCap.refreshToken, second.refreshToken);

  clock.now += 10 * 60 * 1000;
  const later = sign();
  assert.equal(later.accessToken, second.accessToken);
  assert.equal(later.expiresIn, 8 * 3600 - 600, 'expiresIn is what is left of its life');

  // Half an hour before they expire both are in their last eighth: a new one is minted, and the
  // two old ones still work until their own end.
  clock.now += 7 * hour + 20 * 60 * 1000;
  const renewed = sign();
  assert.ok(![first.accessToken, second.accessToken].includes(renewed.accessToken));
  assert.equal(renewed.expiresIn, 8 * 3600);
  const renewedAgain = sign();
  assert.equal(sign().accessToken, renewedAgain.accessToken, 'the cap holds again');
  for (const grant of [first, second, renewed, renewedAgain])
    assert.equal(auth.authenticate(grant.accessToken), app.appId);
  const live = db
    .prepare("SELECT COUNT(*) AS n FROM tokens WHERE kind = 'access' AND expires_at > ?")
    .get(clock.now) as { n: number };
  assert.equal(live.n, 4, 'at most the cap fresh plus the cap in their last eighth');

  clock.now += hour;
  assert.equal(auth.authenticate(first.accessToken), undefined, 'expired at its own time');
  assert.equal(auth.authenticate(renewed.accessToken), app.appId);
});

test('refresh follows the same rule, and a lost server key only means minting anew', (t) => {
  const dir = tempDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const clock = { now: Date.UTC(2026, 11, 1, 8) };
  const one = authAt(dir, randomBytes(32), clock);
  const app = one.auth.createApp({});
  const timestamp = String(clock.now);
  const signed = one.auth.exchangeSign(
    app.appId,
    timestamp,
    computeSign(app.appId, timestamp, app.appKey),
  );
  const refreshed = one.auth.refresh(app.appId, signed.refreshToken);
  const atCap = one.auth.refresh(app.appId, signed.refreshToken);
  assert.equal(atCap.accessToken, refreshed.accessToken, 'refresh at the cap answers the newest');
  assert.equal(one.auth.authenticate(signed.accessToken), app.appId);
  one.db.close();

  // The server key was replaced: held tokens still work (lookups go by hash), sealed ones cannot
  // be handed out, so new ones are minted rather than anything failing.
  const two = authAt(dir, randomBytes(32), clock);
  t.after(() => two.db.close());
  const fresh = two.auth.refresh(app.appId, signed.refreshToken);
  assert.ok(![signed.accessToken, refreshed.accessToken].includes(fresh.accessToken));
  assert.equal(two.auth.authenticate(fresh.accessToken), app.appId);
  assert.equal(two.auth.authenticate(signed.accessToken), app.appId);
});
