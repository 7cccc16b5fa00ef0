import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { AnimaClient } from '../../sdk/client.js';
import type { ProductPayloads, ProductServices } from '../../src/server/product.js';
import { samplesDir } from '../../src/util/paths.js';
import { buildAvatarThroughApi } from '../helpers/avatar.js';
import { launchBrowser } from '../helpers/browser.js';
import {
  refusedWith,
  startOrigin,
  startProductServer,
  tempDir,
  waitFor,
  waitUntil,
  type TestServer,
} from '../helpers/harness.js';
import { startServerProcess, stopProcess, type ServerProcess } from '../helpers/server-process.js';
import { startSharedServices, type SharedServices } from '../helpers/shared-services.js';

// An API instance and a worker sharing a Postgres, a Redis and a bucket (all real, started here).
// A live session created through the API runs on the worker; what is asked of it through the API
// (query, push, the page, WebRTC, HLS, close) reaches it there. One app, one session at a time,
// counted across both instances. Last, a worker process SIGKILLed with a session running: the
// API instance ends it, with its callback.

const v1 = '/api/2dvh/v1/material/live/channel';
const v2 = '/api/2dvh/v2/material/live/channel';
const dir = tempDir('anima-live-cluster-');
let services: SharedServices;
let api: TestServer<ProductPayloads, ProductServices>;
let worker: TestServer<ProductPayloads, ProductServices> | undefined;
let client: AnimaClient;
let onWorker: AnimaClient;
let appId: string;
let faceFeatureId: string;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let shared: Record<string, string>;
let lost: ServerProcess | undefined;
const callbacks: { sessionId: string; status: number; reason?: string }[] = [];
let callbackUrl: string;
let closeReceiver: () => void = () => undefined;

interface Created {
  sessionId: string;
  sessionToken: string;
  pageUrl: string;
  hlsUrl: string;
}

interface Status {
  status: number;
  state: string;
  reason?: string;
  speaking: boolean;
  frames: { sent: number } | null;
  viewers?: { webrtc: number; hls: number };
}

before(async () => {
  services = await startSharedServices(dir);
  shared = {
    ANIMA_DATABASE_URL: await services.postgres.database(),
    ANIMA_REDIS_URL: services.redis.url,
    ANIMA_SECRET: 'a shared secret of at least thirty-two characters',
    ANIMA_LIVE_MAX_PER_APP: '1',
    ANIMA_LIVE_ORPHAN_SECONDS: '3',
    ANIMA_FETCH_ALLOW_PRIVATE: 'true',
    ...services.s3.env,
  };
  const receiver = await startOrigin((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      callbacks.push(JSON.parse(body) as (typeof callbacks)[number]);
      response.writeHead(204).end();
    });
  });
  callbackUrl = `${receiver.url}/hook`;
  closeReceiver = () => receiver.server.close();
  // Viewers are served from these UDP ports on this address: what a firewall in front of the
  // worker would let through.
  worker = await startProductServer({
    ...shared,
    ANIMA_ROLE: 'worker',
    ANIMA_LIVE_UDP_PORTS: '41000-41099',
    ANIMA_LIVE_ICE_ADDRESS: '127.0.0.1',
  });
  api = await startProductServer({ ...shared, ANIMA_ROLE: 'api' });
  const app = await api.platform.auth.createApp({ name: 'live-cluster' });
  appId = app.appId;
  client = new AnimaClient(await api.listen(), app.appId, app.appKey);
  await client.authenticate();
  onWorker = new AnimaClient(await worker.listen(), app.appId, app.appKey);
  await onWorker.authenticate();
  const clip = path.join(samplesDir, 'video', 'grid_lrwp9a.mpg');
  faceFeatureId = await buildAvatarThroughApi(client, clip, 'lrwp');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (lost) await stopProcess(lost.child, 'SIGKILL');
  await api?.close();
  await worker?.close();
  await services?.close();
  closeReceiver();
  fs.rmSync(dir, { recursive: true, force: true });
});

const script = () => ({
  recycle: 1,
  sceneList: [
    {
      digital_role: { face_feature_id: faceFeatureId },
      tts_config: { id: 'en-US-slt' },
      tts_query: { content: 'We are speaking from the worker, seen through the API.' },
    },
  ],
});

const query = (on: AnimaClient, sessionId: string) =>
  on.call<Status>('GET', `${v1}/query?sessionId=${sessionId}`);

test('a session created through the API runs on the worker; query, push, page, WebRTC, HLS and close reach it', async () => {
  const created = await client.call<Created>('POST', `${v2}/create`, { param: script() });
  const id = created.sessionId;
  const record = await api.platform.services.live.authorize(id, { appId });
  assert.equal(record.owner, worker?.platform.instanceId, 'it runs on the worker');
  assert.ok(created.pageUrl.startsWith(client.baseUrl), 'its addresses are the API instance’s');

  await waitUntil(async () => (await query(client, id)).status === 35, 30_000, 'stream ready');
  const listed = await client.call<{ sessionId: string }[]>('GET', `${v1}/running/list`);
  assert.deepEqual(
    listed.map((session) => session.sessionId),
    [id],
  );

  // Text pushed through the API is said on the worker: the status read through the API says so.
  const pushed = await client.call<{ utteranceId: number }>('POST', `${v1}/push`, {
    sessionId: id,
    text: 'This sentence travels from the API instance to the worker that runs the stream.',
    interrupt: true,
  });
  assert.ok(pushed.utteranceId > 0);
  await waitUntil(async () => (await query(client, id)).speaking, 10_000, 'speaking');

  // HLS through the API: the playlist, its token carried, and a segment's bytes.
  const playlist = await waitFor(
    async () => {
      const response = await fetch(created.hlsUrl);
      return response.ok ? response.text() : undefined;
    },
    30_000,
    'a playlist through the API',
  );
  const segment = playlist.split('\n').find((line) => line.startsWith('seg-')) ?? '';
  assert.ok(segment.includes(`token=${created.sessionToken}`), playlist);
  const bytes = Buffer.from(
    await (await fetch(new URL(segment, created.hlsUrl.replace(/[^/]*$/, '')))).arrayBuffer(),
  );
  assert.ok(bytes.length > 1000 && bytes.includes(Buffer.from('moof')), 'an fMP4 segment');

  // The page from the API plays WebRTC: the offer and the answer cross to the worker.
  const page = await browser.browser.newPage();
  const answered = page.waitForResponse((response) => response.url().endsWith('/whep'));
  await page.goto(created.pageUrl);
  // The answer crossed from the worker: it offers the worker's configured address and ports only.
  const candidates = (await (await answered).text())
    .split('\r\n')
    .filter((line) => line.startsWith('a=candidate:'));
  assert.ok(candidates.length > 0, 'the answer lists candidates');
  for (const candidate of candidates) {
    const [, , , , address, port] = candidate.split(' ');
    assert.equal(address, '127.0.0.1', candidate);
    assert.ok(Number(port) >= 41000 && Number(port) <= 41099, candidate);
  }
  const stats = () => page.evaluate<{ mode: string; decodedFrames: number }>('window.animaStats()');
  await waitUntil(async () => (await stats()).decodedFrames > 0, 20_000, 'a first frame');
  const first = await stats();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const later = await stats();
  assert.equal(later.mode, 'webrtc', JSON.stringify(later));
  assert.ok(later.decodedFrames > first.decodedFrames + 10, JSON.stringify({ first, later }));
  assert.equal((await query(client, id)).viewers?.webrtc, 1, 'the worker counts the viewer');
  await page.close();

  // Closed through the API: ended on the worker, and said so wherever it is asked.
  await client.call('POST', `${v1}/close`, { sessionId: id });
  const ended = await query(client, id);
  assert.deepEqual([ended.status, ended.reason], [37, 'closed by the client']);
  assert.equal((await query(onWorker, id)).status, 37);
  assert.equal(
    await refusedWith(client.call('POST', `${v1}/push`, { sessionId: id, text: 'Too late.' })),
    9002,
  );
  assert.deepEqual(await client.call('GET', `${v1}/running/list`), []);
});

test("an app's limit holds across instances: of two sessions asked at once on both, one runs", async () => {
  const asked = await Promise.allSettled([
    client.call<Created>('POST', `${v2}/create`, { param: script() }),
    onWorker.call<Created>('POST', `${v2}/create`, { param: script() }),
  ]);
  const started = asked.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const refused = asked.flatMap((result) =>
    result.status === 'rejected' ? [(result.reason as { code?: number }).code] : [],
  );
  assert.equal(started.length, 1, JSON.stringify(asked));
  assert.deepEqual(refused, [9004]);
  await client.call('POST', `${v1}/close`, { sessionId: started[0]!.sessionId });
});

test('while Redis is away a push through the API is answered "unavailable" at once; it works again when Redis is back', async () => {
  const created = await client.call<Created>('POST', `${v2}/create`, { param: script() });
  const id = created.sessionId;
  await waitUntil(async () => (await query(client, id)).status === 35, 30_000, 'stream ready');
  await services.redis.stop();
  try {
    const asked = Date.now();
    const push = client.call('POST', `${v1}/push`, { sessionId: id, text: 'Is anyone there?' });
    assert.equal(await refusedWith(push), 9008);
    assert.ok(Date.now() - asked < 5000, 'answered, not left hanging');
    // The status as recorded is still answered.
    assert.equal((await query(client, id)).status, 35);
    // The worker's own session goes on meanwhile.
    assert.equal((await query(onWorker, id)).status, 35);
  } finally {
    await services.redis.restart();
  }
  const pushed = await waitFor(
    () =>
      client
        .call<{ utteranceId: number }>('POST', `${v1}/push`, {
          sessionId: id,
          text: 'Redis is back and so is the way to the worker.',
        })
        .catch(() => undefined),
    20_000,
    'a push through the API once Redis is back',
  );
  assert.ok(pushed.utteranceId > 0);
  await client.call('POST', `${v1}/close`, { sessionId: id });
});

test('a worker that dies with a session running: the session ends with status 37 and its callback, not silence', async () => {
  // The in-process worker leaves; a worker of its own process takes the next session.
  const leaving = worker;
  worker = undefined;
  await leaving?.close();
  lost = await startServerProcess('dist/test/helpers/product-process.js', {
    ...shared,
    ANIMA_ROLE: 'worker',
    ANIMA_DATA: path.join(dir, 'lost-worker'),
    ANIMA_PORT: '0',
    ANIMA_LOG_LEVEL: 'warn',
  });
  const created = await client.call<Created>('POST', `${v2}/create`, {
    param: script(),
    callbackUrl,
  });
  const id = created.sessionId;
  await waitUntil(async () => (await query(client, id)).status === 35, 30_000, 'stream ready');
  await stopProcess(lost.child, 'SIGKILL');
  const asked = Date.now();
  assert.equal(
    await refusedWith(client.call('POST', `${v1}/push`, { sessionId: id, text: 'Still there?' })),
    9008,
    'its instance is not listening: said at once',
  );
  assert.ok(Date.now() - asked < 5000);
  const ended = await waitFor(
    async () => {
      const now = await query(client, id);
      return now.status === 37 ? now : undefined;
    },
    20_000,
    'the session ended by the API instance',
  );
  assert.equal(ended.reason, 'the instance running the session stopped answering');
  const said = await waitFor(
    () => callbacks.find((callback) => callback.sessionId === id && callback.status === 37),
    20_000,
    'its callback',
  );
  assert.equal(said.reason, ended.reason);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(
    callbacks.filter((callback) => callback.sessionId === id && callback.status === 37).length,
    1,
    'sent once',
  );
});
