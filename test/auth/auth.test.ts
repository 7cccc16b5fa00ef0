import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { computeSign } from '../../src/auth/sign.js';
import { bearer, startTestServer, type TestServer } from '../helpers/harness.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const tokenUrl = '/api/uc/v1/access/api/token';
const listUrl = '/api/2dvh/v1/material/video/list';

function signBody(appId: string, appKey: string, timestamp: string) {
  return { appId, timestamp, sign: computeSign(appId, timestamp, appKey), grantType: 'sign' };
}

test('the FAQ app exchanges the FAQ sign shape for tokens, with seconds or milliseconds', async () => {
  const app = await server.platform.auth.createApp({
    appId: 'c103af9ac77646ca9fb0122e75f30811',
    appKey: '89f81a207e5e4a1297ed1255879191ee',
  });
  for (const timestamp of [String(Math.floor(Date.now() / 1000)), String(Date.now())]) {
    const response = await server.app.inject({
      method: 'POST',
      url: tokenUrl,
      payload: signBody(app.appId, app.appKey, timestamp),
    });
    assert.equal(response.statusCode, 200);
    const body = response.json();
    assert.equal(body.code, 0);
    assert.equal(body.message, 'success');
    assert.equal(body.data.expiresIn, 8 * 3600);
    assert.equal(typeof body.data.accessToken, 'string');
    assert.equal(typeof body.data.refreshToken, 'string');
    assert.ok(body.data.refreshTokenExpiresIn > body.data.expiresIn);
    const list = await server.app.inject({
      method: 'GET',
      url: listUrl,
      headers: bearer(body.data.accessToken),
    });
    assert.equal(list.statusCode, 200);
    assert.equal(list.json().code, 0);
  }
});

test('a wrong sign, an unknown app and a stale timestamp are refused with their own errors', async () => {
  const app = await server.platform.auth.createApp({});
  const now = String(Date.now());
  const wrong = await server.app.inject({
    method: 'POST',
    url: tokenUrl,
    payload: { ...signBody(app.appId, app.appKey, now), sign: 'f'.repeat(32) },
  });
  assert.equal(wrong.statusCode, 401);
  assert.equal(wrong.json().code, 1001);
  const unknown = await server.app.inject({
    method: 'POST',
    url: tokenUrl,
    payload: signBody('0'.repeat(32), app.appKey, now),
  });
  assert.equal(unknown.json().code, 1001);
  const stale = String(Date.now() - 10 * 60 * 1000);
  const old = await server.app.inject({
    method: 'POST',
    url: tokenUrl,
    payload: signBody(app.appId, app.appKey, stale),
  });
  assert.equal(old.statusCode, 400);
  assert.equal(old.json().code, 1002);
  assert.match(old.json().message, /300 seconds/);
  assert.equal(typeof old.json().fix, 'string');
});

test('empty or malformed parameters, and a wrong Content-Type, answer 3333 with the exact message', async () => {
  const cases = [
    { payload: {}, fields: ['appId', 'timestamp', 'sign', 'grantType'] },
    {
      payload: { appId: 'a', timestamp: 'yesterday', sign: 'x', grantType: 'password' },
      fields: ['timestamp', 'sign', 'grantType'],
    },
  ];
  for (const { payload, fields } of cases) {
    const response = await server.app.inject({ method: 'POST', url: tokenUrl, payload });
    assert.equal(response.statusCode, 400);
    const body = response.json();
    assert.equal(body.code, 3333);
    assert.equal(body.message, '请求参数为空或格式错误,请检查');
    assert.equal(body.data, null);
    const named = new Set(body.detail.map((d: { field: string }) => d.field));
    for (const field of fields)
      assert.ok(named.has(field), `detail names ${field}: ${JSON.stringify(body.detail)}`);
  }
  const text = await server.app.inject({
    method: 'POST',
    url: tokenUrl,
    headers: { 'content-type': 'text/plain' },
    payload: 'appId=1',
  });
  assert.equal(text.json().code, 3333);
  assert.equal(text.json().message, '请求参数为空或格式错误,请检查');
  const broken = await server.app.inject({
    method: 'POST',
    url: tokenUrl,
    headers: { 'content-type': 'application/json' },
    payload: '{"appId":',
  });
  assert.equal(broken.json().code, 3333);
  const empty = await server.app.inject({
    method: 'POST',
    url: tokenUrl,
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(empty.json().code, 3333);
});

test('missing, unknown, malformed and revoked tokens get HTTP 401 with an empty body', async () => {
  const { appId, token } = await server.newApp();
  for (const headers of [
    {},
    bearer('nope'),
    { authorization: token },
    { authorization: 'Basic abc' },
  ]) {
    const response = await server.app.inject({ method: 'GET', url: listUrl, headers });
    assert.equal(response.statusCode, 401);
    assert.equal(response.body, '');
  }
  await server.platform.auth.revokeApp(appId);
  const revoked = await server.app.inject({ method: 'GET', url: listUrl, headers: bearer(token) });
  assert.equal(revoked.statusCode, 401);
  assert.equal(revoked.body, '');
});

test('an expired token gets 401', async () => {
  const expiring = await startTestServer({ ANIMA_ACCESS_TOKEN_TTL: '60' });
  try {
    const { token } = await expiring.newApp();
    await expiring.platform.sql.run('UPDATE tokens SET expires_at = ?', [Date.now() - 1]);
    const response = await expiring.app.inject({
      method: 'GET',
      url: listUrl,
      headers: bearer(token),
    });
    assert.equal(response.statusCode, 401);
    assert.equal(response.body, '');
  } finally {
    await expiring.close();
  }
});

test('clients that sign for every call never cost another client its token, and the cap holds', async () => {
  const app = await server.platform.auth.createApp({});
  const sign = async (timestamp: string) =>
    (
      await server.app.inject({
        method: 'POST',
        url: tokenUrl,
        payload: signBody(app.appId, app.appKey, timestamp),
      })
    ).json().data.accessToken as string;
  const status = async (token: string) =>
    (await server.app.inject({ method: 'GET', url: listUrl, headers: bearer(token) })).statusCode;
  // One process signs once and keeps its token for expiresIn.
  const keeper = await sign(String(Date.now()));
  // Another signs before every call.
  const eager: string[] = [];
  for (let i = 0; i < 6; i++) eager.push(await sign(String(Date.now() - i)));
  assert.equal(await status(keeper), 200, "the keeper's token survives the other's signs");
  for (const token of eager) assert.equal(await status(token), 200);
  const issued = new Set([keeper, ...eager]);
  assert.equal(issued.size, 2, 'at the cap the newest live token is answered, none minted');
  // A captured sign replayed within the window costs nobody anything either.
  const captured = signBody(app.appId, app.appKey, String(Date.now()));
  for (let i = 0; i < 5; i++) {
    const replay = await server.app.inject({ method: 'POST', url: tokenUrl, payload: captured });
    assert.ok(issued.has(replay.json().data.accessToken));
  }
  assert.equal(await status(keeper), 200, 'replays retire nothing');
  // Only hashes and sealed copies are stored, never the token itself.
  const stored = await server.platform.sql.all<{ token_hash: string; sealed: string }>(
    'SELECT token_hash, sealed FROM tokens WHERE app_id = ?',
    [app.appId],
  );
  assert.equal(stored.length, 4, 'two access and two refresh tokens');
  for (const row of stored) {
    for (const token of issued) assert.ok(!row.sealed.includes(token) && row.token_hash !== token);
  }
});

test('a refresh token buys tokens until it expires, only for its own app, retiring none', async () => {
  const app = await server.platform.auth.createApp({});
  const first = (
    await server.app.inject({
      method: 'POST',
      url: tokenUrl,
      payload: signBody(app.appId, app.appKey, String(Date.now())),
    })
  ).json().data;
  const refreshUrl = '/api/uc/v1/access/api/token/refresh';
  const other = await server.platform.auth.createApp({});
  const wrongApp = await server.app.inject({
    method: 'POST',
    url: refreshUrl,
    headers: bearer(first.refreshToken),
    payload: { appId: other.appId, grantType: 'refreshToken' },
  });
  assert.equal(wrongApp.statusCode, 401);
  const access = await server.app.inject({
    method: 'POST',
    url: refreshUrl,
    headers: bearer(first.accessToken),
    payload: { appId: app.appId, grantType: 'refreshToken' },
  });
  assert.equal(access.statusCode, 401, 'an access token is no refresh token');
  const refreshed = await server.app.inject({
    method: 'POST',
    url: refreshUrl,
    headers: bearer(first.refreshToken),
    payload: { appId: app.appId, grantType: 'refreshToken' },
  });
  assert.equal(refreshed.statusCode, 200);
  const data = refreshed.json().data;
  assert.deepEqual(Object.keys(data).sort(), [
    'accessToken',
    'expiresIn',
    'refreshToken',
    'refreshTokenExpiresIn',
  ]);
  // Another process of the same app refreshes with the same token: it still works, and neither
  // the first access token nor the one just refreshed is retired by it.
  for (let i = 0; i < 3; i++) {
    const again = await server.app.inject({
      method: 'POST',
      url: refreshUrl,
      headers: bearer(first.refreshToken),
      payload: { appId: app.appId, grantType: 'refreshToken' },
    });
    assert.equal(again.statusCode, 200, 'a refresh token is not spent on use');
  }
  for (const token of [first.accessToken, data.accessToken]) {
    const list = await server.app.inject({ method: 'GET', url: listUrl, headers: bearer(token) });
    assert.equal(list.statusCode, 200);
  }
});

test("the FAQ's header example, a token ending in '&', is accepted", async () => {
  const { token } = await server.newApp();
  const response = await server.app.inject({
    method: 'GET',
    url: listUrl,
    headers: { authorization: `Bearer ${token}&` },
  });
  assert.equal(response.statusCode, 200);
  const wrong = await server.app.inject({
    method: 'GET',
    url: listUrl,
    headers: { authorization: `Bearer ${token}x&` },
  });
  assert.equal(wrong.statusCode, 401);
});

test('a revoked app cannot get tokens', async () => {
  const app = await server.platform.auth.createApp({});
  await server.platform.auth.revokeApp(app.appId);
  const response = await server.app.inject({
    method: 'POST',
    url: tokenUrl,
    payload: signBody(app.appId, app.appKey, String(Date.now())),
  });
  assert.equal(response.statusCode, 403);
  assert.equal(response.json().code, 1003);
});

test('sockets authenticate by header or by URL query, the header winning', async () => {
  server.app.log.level = 'silent';
  const { token } = await server.newApp();
  const base = (await server.listen()).replace('http', 'ws');
  const open = (url: string, headers: Record<string, string> = {}) =>
    new Promise<number>((resolve) => {
      const socket = new WebSocket(url, { headers });
      socket.on('open', () => {
        socket.close();
        resolve(101);
      });
      socket.on('unexpected-response', (request, response) => {
        request.destroy();
        resolve(response.statusCode ?? 0);
      });
      socket.on('error', () => undefined);
    });
  const path = '/api/test/v1/socket';
  assert.equal(await open(`${base}${path}`, bearer(token)), 101);
  assert.equal(await open(`${base}${path}?Authorization=Bearer%20${token}&`), 101);
  assert.equal(await open(`${base}${path}`, { authorization: `Bearer ${token}&` }), 101);
  assert.equal(await open(`${base}${path}`), 401);
  assert.equal(
    await open(`${base}${path}?Authorization=Bearer%20${token}`, bearer('wrong')),
    401,
    'header wins',
  );
  assert.equal(
    await open(`${base}${path}?Authorization=Bearer%20wrong`, bearer(token)),
    101,
    'header wins',
  );
});
