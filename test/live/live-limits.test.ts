import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { AnimaClient } from '../../sdk/client.js';
import type { ProductPayloads, ProductServices } from '../../src/server/product.js';
import { startWithAvatar } from '../helpers/avatar.js';
import { refusedWith, waitFor, waitUntil, type TestServer } from '../helpers/harness.js';

// Limits, the session socket, the viewer routes' guards and the idle end, on one server with
// tight limits: one session per app, two per server, five idle seconds.
const v1 = '/api/2dvh/v1/material/live/channel';
const v2 = '/api/2dvh/v2/material/live/channel';

let server: TestServer<ProductPayloads, ProductServices>;
let client: AnimaClient;
let faceFeatureId: string;
let base: string;

before(async () => {
  ({ server, client, faceFeatureId } = await startWithAvatar('live-limits', {
    ANIMA_LIVE_MAX_PER_APP: '1',
    ANIMA_LIVE_MAX_SESSIONS: '2',
    ANIMA_LIVE_IDLE_SECONDS: '5',
  }));
  base = client.baseUrl;
});

after(() => server?.close());

const script = (recycle: boolean | number = 1) => ({
  recycle,
  sceneList: [
    {
      digital_role: { face_feature_id: faceFeatureId },
      tts_query: { content: 'We keep talking while the tests look around.' },
    },
  ],
});

interface Created {
  sessionId: string;
  sessionToken: string;
}

async function otherApp(name: string): Promise<AnimaClient> {
  const app = await server.platform.auth.createApp({ name });
  const other = new AnimaClient(base, app.appId, app.appKey);
  await other.authenticate();
  return other;
}

test('a session beyond the app limit or the server limit is refused; the running ones go on', async () => {
  const first = await client.call<Created>('POST', `${v2}/create`, { param: script() });
  assert.equal(await refusedWith(client.call('POST', `${v2}/create`, { param: script() })), 9004);
  const second = await otherApp('second');
  const other = await second.call<Created>('POST', `${v2}/create`, { param: script() });
  const third = await otherApp('third');
  assert.equal(await refusedWith(third.call('POST', `${v2}/create`, { param: script() })), 9003);
  // Another app cannot see, push to or close a session that is not its own.
  assert.equal(
    await refusedWith(second.call('GET', `${v1}/query?sessionId=${first.sessionId}`)),
    9001,
  );
  assert.equal(
    await refusedWith(second.call('POST', `${v1}/close`, { sessionId: first.sessionId })),
    9001,
  );
  await second.call('POST', `${v1}/close`, { sessionId: other.sessionId });
  // A script whose scenes differ in look counts as two: beside the one running, it does not fit,
  // where a script of one look does.
  const [scene] = script().sceneList;
  const moved = { ...scene, digital_role: { face_feature_id: faceFeatureId, scale: 0.9 } };
  const twoLooks = { recycle: 1, sceneList: [scene, moved] };
  assert.equal(await refusedWith(third.call('POST', `${v2}/create`, { param: twoLooks })), 9003);
  const fits = await third.call<Created>('POST', `${v2}/create`, { param: script() });
  await third.call('POST', `${v1}/close`, { sessionId: fits.sessionId });
  await client.call('POST', `${v1}/close`, { sessionId: first.sessionId });
});

test('the session socket tells the status and takes pushes; bad messages are answered, not fatal', async () => {
  const created = await client.call<Created>('POST', `${v2}/create`, { param: script() });
  const id = created.sessionId;
  await waitUntil(
    async () =>
      (await client.call<{ status: number }>('GET', `${v1}/query?sessionId=${id}`)).status === 35,
    30_000,
    'stream ready',
  );
  const url = `${base.replace('http', 'ws')}${v1}/socket?sessionId=${id}&Authorization=Bearer%20${created.sessionToken}`;
  const socket = new WebSocket(url);
  const messages: { type: string; status?: string; code?: number; utteranceId?: number }[] = [];
  socket.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString()) as never));
  await new Promise((resolve) => socket.once('open', resolve));
  await waitUntil(() => messages.some((m) => m.type === 'status'), 5000, 'a status message');
  socket.send('not json');
  socket.send(JSON.stringify({ text: 'Hello from the socket.', interrupt: true }));
  socket.send(JSON.stringify({ text: 'x'.repeat(120), interrupt: false }));
  await waitUntil(
    () => messages.filter((m) => m.type === 'push').length === 3,
    5000,
    'three answers',
  );
  const pushes = messages.filter((m) => m.type === 'push');
  assert.equal(pushes[0]?.code, 3333);
  assert.equal(pushes[1]?.status, 'ok');
  assert.ok((pushes[1]?.utteranceId ?? 0) > 0);
  assert.equal(pushes[2]?.code, 6003, 'the 80-character rule, at once');
  socket.close();
  await client.call('POST', `${v1}/close`, { sessionId: id });
});

test('viewer routes need the session token and serve only the stream: no other file, no bad offer', async () => {
  const created = await client.call<Created>('POST', `${v2}/create`, { param: script() });
  const id = created.sessionId;
  await waitUntil(
    async () => (await fetch(`${base}/live/${id}/hls/index.m3u8?token=${created.sessionToken}`)).ok,
    30_000,
    'a playlist',
  );
  const playlist = await (
    await fetch(`${base}/live/${id}/hls/index.m3u8?token=${created.sessionToken}`)
  ).text();
  const uris = playlist.split('\n').filter((line) => line && !line.startsWith('#'));
  assert.ok(uris.length > 0 && uris.every((uri) => uri.endsWith(`?token=${created.sessionToken}`)));
  assert.equal((await fetch(`${base}/live/${id}/hls/index.m3u8`)).status, 401);
  assert.equal((await fetch(`${base}/live/${id}/hls/index.m3u8?token=wrong`)).status, 404);
  for (const name of ['..%2F..%2Fanima.db', 'secret.key', '%2Fetc%2Fpasswd', 'index.m3u8.tmp']) {
    const response = await fetch(`${base}/live/${id}/hls/${name}?token=${created.sessionToken}`);
    assert.equal(response.status, 404, name);
  }
  assert.equal((await fetch(`${base}/live/${id}`)).status, 401, 'the page needs the token too');
  const page = await fetch(`${base}/live/${id}?token=${created.sessionToken}`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<video/);
  const offer = await fetch(`${base}/live/${id}/whep`, {
    method: 'POST',
    headers: { authorization: `Bearer ${created.sessionToken}`, 'content-type': 'application/sdp' },
    body: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=rtpmap:0 PCMU/8000\r\n',
  });
  assert.equal(offer.status, 400);
  assert.equal(((await offer.json()) as { code: number }).code, 9006);
  await client.call('POST', `${v1}/close`, { sessionId: id });
});

test('a session nobody watches and nobody pushes to ends after the idle time, saying why', async () => {
  const created = await client.call<Created>('POST', `${v2}/create`, { param: script(true) });
  const state = await waitFor(
    async () => {
      const seen = await client.call<{ status: number; reason?: string }>(
        'GET',
        `${v1}/query?sessionId=${created.sessionId}`,
      );
      return seen.status === 37 ? seen : undefined;
    },
    30_000,
    'the idle end',
  );
  assert.match(state.reason ?? '', /nothing was pushed and nobody watched for 5 s/);
});
