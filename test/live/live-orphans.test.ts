import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startOrigin, startProductServer, waitFor, type TestServer } from '../helpers/harness.js';
import type { ProductPayloads, ProductServices } from '../../src/server/product.js';

// Instances sharing a database: a live session whose instance died (no sign of life for
// ANIMA_LIVE_ORPHAN_SECONDS) is ended by another instance, with its callback; a session of an
// instance still alive is left alone. The dead and the living instance are rows here, as a
// crashed machine leaves them; the instance doing the ending is a real server.

let server: TestServer<ProductPayloads, ProductServices>;
const received: string[] = [];
let hook = '';
let closeOrigin: () => void = () => undefined;

before(async () => {
  server = await startProductServer({
    ANIMA_LIVE_ORPHAN_SECONDS: '1',
    ANIMA_FETCH_ALLOW_PRIVATE: 'true',
  });
  const origin = await startOrigin((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      received.push(body);
      response.writeHead(204).end();
    });
  });
  hook = `${origin.url}/hook`;
  closeOrigin = () => origin.server.close();
});
after(async () => {
  closeOrigin();
  await server.close();
});

test("a dead instance's live session is ended by another, once, with its callback", async () => {
  const { appId } = await server.newApp('orphans');
  const { sql } = server.platform;
  const now = Date.now();
  await sql.run('INSERT INTO instances (id, seen_at) VALUES (?, ?), (?, ?)', [
    'gone',
    now - 60_000,
    'alive',
    now + 3_600_000,
  ]);
  const session = (id: string, owner: string) =>
    sql.run(
      `INSERT INTO live_sessions (id, app_id, token_hash, status, state, user_data, callback_url,
         owner, created_at, updated_at) VALUES (?, ?, 'x', 35, 'live', 'u1', ?, ?, ?, ?)`,
      [id, appId, hook, owner, now, now],
    );
  await session('s-gone', 'gone');
  await session('s-alive', 'alive');

  const body = await waitFor(() => received[0], 20_000, 'the callback');
  const sent = JSON.parse(body) as Record<string, unknown>;
  assert.deepEqual(
    [sent.sessionId, sent.status, sent.state, sent.userData],
    ['s-gone', 37, 'ended', 'u1'],
  );
  assert.match(String(sent.reason), /stopped answering/);
  const states = await sql.all<{ id: string; state: string }>(
    'SELECT id, state FROM live_sessions ORDER BY id',
  );
  assert.deepEqual(states, [
    { id: 's-alive', state: 'live' },
    { id: 's-gone', state: 'ended' },
  ]);
  // Its own sign of life is kept fresh meanwhile.
  const own = await sql.get<{ n: number }>(
    "SELECT COUNT(*) AS n FROM instances WHERE id NOT IN ('gone', 'alive') AND seen_at >= ?",
    [now - 5_000],
  );
  assert.equal(own?.n, 1);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(received.length, 1, 'ended once: no second callback');
});
