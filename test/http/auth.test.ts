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
  const app = server.platform.auth.createApp({
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
  const app = server.platform.auth.createApp({});
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
  server.platform.auth.revokeApp(appId);
  const revoked = await server.app.inject({ method: 'GET', url: listUrl, headers: bearer(token) });
  assert.equal(revoked.statusCode, 401);
  assert.equal(revoked.body, '');
});

test('an expired token gets 401', async () => {
  const expiring = await startTestServer({ ANIMA_ACCESS_TOKEN_TTL: '60' });
  try {
    const { token } = await expiring.newApp();
    expiring.platform.db.prepare('UPDATE tokens SET expires_at = ?').run(Date.now() - 1);
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

test('at most two access tokens live per app: a third retires the oldest', async () => {
  const app = server.platform.auth.createApp({});
  const tokens: string[] = [];
  for (let i = 0; i < 3; i++) {
    const response = await server.app.inject({
      method: 'POST',
      url: tokenUrl,
      payload: signBody(app.appId, app.appKey, String(Date.now())),
    });
    tokens.push(response.json().data.accessToken);
  }
  const status = async (token: string | undefined) =>
    (await server.app.inject({ method: 'GET', url: listUrl, headers: bearer(token ?? '') }))
      .statusCode;
  assert.equal(await status(tokens[0]), 401);
  assert.equal(await status(tokens[1]), 200);
  assert.equal(await status(tokens[2]), 200);
  // Only hashes are stored.
  const stored = server.platform.db.prepare('SELECT token_hash FROM tokens').all() as {
    token_hash: string;
  }[];
  assert.ok(stored.every((row) => !tokens.includes(row.token_hash)));
});

test('a refresh token buys new tokens once, and only for its own app', async () => {
  const app = server.platform.auth.createApp({});
  const first = (
    await server.app.inject({
      method: 'POST',
      url: tokenUrl,
      payload: signBody(app.appId, app.appKey, String(Date.now())),
    })
  ).json().data;
  const refreshUrl = '/api/uc/v1/access/api/token/refresh';
  const other = server.platform.auth.createApp({});
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
  const again = await server.app.inject({
    method: 'POST',
    url: refreshUrl,
    headers: bearer(first.refreshToken),
    payload: { appId: app.appId, grantType: 'refreshToken' },
  });
  assert.equal(again.statusCode, 401, 'a used refresh token is spent');
  const list = await server.app.inject({
    method: 'GET',
    url: listUrl,
    headers: bearer(data.accessToken),
  });
  assert.equal(list.statusCode, 200);
});

test('a revoked app cannot get tokens', async () => {
  const app = server.platform.auth.createApp({});
  server.platform.auth.revokeApp(app.appId);
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
