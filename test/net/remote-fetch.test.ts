import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { AppError } from '../../src/errors/app-error.js';
import { samplesDir } from '../../src/util/paths.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';

const clipBytes = fs.readFileSync(path.join(samplesDir, 'video', 'grid_bbaf2n.mpg'));
let origin: http.Server;
let port = 0;

/** A media host on loopback: a clip, redirects, a slow answer, an endless one, a cut one, a 404. */
before(async () => {
  origin = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/clip.mpg':
        response
          .writeHead(200, { 'content-type': 'video/mpeg', 'content-length': clipBytes.length })
          .end(clipBytes);
        return;
      case '/to-other-loopback':
        response.writeHead(302, { location: `http://127.0.0.2:${port}/clip.mpg` }).end();
        return;
      case '/to-clip':
        response.writeHead(301, { location: '/clip.mpg' }).end();
        return;
      case '/loop':
        response.writeHead(302, { location: '/loop' }).end();
        return;
      case '/declared-huge':
        response.writeHead(200, { 'content-length': String(10 * 1024 * 1024) }).end();
        return;
      case '/endless': {
        response.writeHead(200, { 'content-type': 'video/mpeg' });
        const chunk = Buffer.concat([clipBytes.subarray(0, 64 * 1024)]);
        const pump = () => {
          while (response.write(chunk)) {
            if (response.writableLength > 1e7) return;
          }
          response.once('drain', pump);
        };
        response.on('close', () => response.removeAllListeners('drain'));
        pump();
        return;
      }
      case '/slow':
        response.writeHead(200, { 'content-type': 'video/mpeg' });
        response.write(clipBytes.subarray(0, 1000));
        return; // never ends
      case '/cut':
        // Breaks off half-way through the clip it announced.
        response.writeHead(200, {
          'content-type': 'video/mpeg',
          'content-length': clipBytes.length,
        });
        response.write(clipBytes.subarray(0, clipBytes.length / 2), () => response.destroy());
        return;
      case '/text':
        response.writeHead(200, { 'content-type': 'video/mp4' }).end('<html>not a video</html>');
        return;
      default:
        response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  const address = origin.address();
  port = typeof address === 'object' && address ? address.port : 0;
});
after(() => {
  origin.closeAllConnections();
  origin.close();
});

async function refusal(server: TestServer, url: string): Promise<AppError> {
  try {
    await server.platform.files.fetchRemote(url, 'app');
  } catch (error) {
    assert.ok(error instanceof AppError, String(error));
    return error;
  }
  throw new Error(`fetching ${url} was not refused`);
}

test('loopback, private, link-local and odd addresses are refused by default', async () => {
  const server = await startTestServer();
  try {
    const cases: Array<[string, string, string]> = [
      [`http://127.0.0.1:${port}/clip.mpg`, 'remoteAddressRefused', 'loopback'],
      [`http://localhost:${port}/clip.mpg`, 'remoteAddressRefused', 'loopback'],
      [`http://[::1]:${port}/clip.mpg`, 'remoteAddressRefused', 'loopback'],
      [`http://[::ffff:127.0.0.1]:${port}/clip.mpg`, 'remoteAddressRefused', 'loopback'],
      [`http://0.0.0.0:${port}/clip.mpg`, 'remoteAddressRefused', 'unspecified'],
      ['http://10.0.0.1/clip.mpg', 'remoteAddressRefused', 'private'],
      ['http://192.168.1.20/clip.mpg', 'remoteAddressRefused', 'private'],
      ['http://169.254.169.254/latest/meta-data', 'remoteAddressRefused', 'link-local'],
      ['file:///etc/passwd', 'remoteUrlInvalid', ''],
      ['ftp://example.com/a.mp4', 'remoteUrlInvalid', ''],
      ['http://user:pw@example.com/a.mp4', 'remoteUrlInvalid', ''],
      ['not a url', 'remoteUrlInvalid', ''],
    ];
    for (const [url, key, kind] of cases) {
      const error = await refusal(server, url);
      assert.equal(error.key, key, url);
      if (kind) assert.match(error.message, new RegExp(`a ${kind} address`), url);
    }
  } finally {
    await server.close();
  }
});

test('an allowed host is fetched; redirects are re-checked; limits hold', async () => {
  const server = await startTestServer({
    ANIMA_FETCH_ALLOW_HOSTS: '127.0.0.1',
    ANIMA_FETCH_MAX_BYTES: String(1024 * 1024),
    ANIMA_FETCH_TIMEOUT: '1',
  });
  try {
    const file = await server.platform.files.fetchRemote(
      `http://127.0.0.1:${port}/clip.mpg`,
      'app',
    );
    assert.equal(file.mimeType, 'video/mpeg');
    assert.equal(file.name, 'clip.mpg');
    assert.ok(fs.readFileSync(await server.platform.files.localPath(file.id)).equals(clipBytes));
    const redirected = await server.platform.files.fetchRemote(
      `http://127.0.0.1:${port}/to-clip`,
      'app',
    );
    assert.equal(redirected.size, clipBytes.length);

    const checks: Array<[string, string]> = [
      ['/to-other-loopback', 'remoteAddressRefused'],
      ['/loop', 'remoteTooManyRedirects'],
      ['/declared-huge', 'remoteTooLarge'],
      ['/endless', 'remoteTooLarge'],
      ['/slow', 'remoteTimeout'],
      ['/missing', 'remoteFetchFailed'],
      ['/text', 'fileTypeUnsupported'],
      ['/cut', 'remoteFetchFailed'],
    ];
    for (const [route, key] of checks) {
      const error = await refusal(server, `http://127.0.0.1:${port}${route}`);
      assert.equal(error.key, key, `${route}: ${error.message}`);
    }
    assert.deepEqual(
      fs.readdirSync(path.join(server.config.dataDir, 'tmp')),
      [],
      'no partial files left',
    );
  } finally {
    await server.close();
  }
});

test('a fileId or one of our own links resolves locally, without fetching', async () => {
  const server = await startTestServer();
  try {
    const base = await server.listen();
    const stored = await server.platform.files
      .fetchRemote(`http://127.0.0.1:${port}/clip.mpg`, 'app')
      .catch(() => undefined);
    assert.equal(stored, undefined, 'loopback is refused by default');
    const source = path.join(server.config.dataDir, 'result.mpg');
    fs.writeFileSync(source, clipBytes);
    const result = await server.platform.files.saveResult(
      source,
      'result.mpg',
      'app',
      'video/mpeg',
    );
    const link = server.platform.files.signedUrl(result);
    assert.ok(link.startsWith(base));
    assert.equal((await server.platform.files.resolve({ url: link }, 'app')).id, result.id);
    assert.equal((await server.platform.files.resolve({ fileId: result.id }, 'app')).id, result.id);
    await assert.rejects(
      server.platform.files.resolve({ fileId: result.id }, 'someone-else'),
      /not found/,
    );
  } finally {
    await server.close();
  }
});
