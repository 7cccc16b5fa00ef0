import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { isAppError } from '../../src/errors/app-error.js';
import type { MediaRef } from '../../src/files/file.service.js';
import { samplesDir } from '../../src/util/paths.js';
import { startOrigin, startTestServer, type TestServer } from '../helpers/harness.js';

const speech = path.join(samplesDir, 'audio', 'librivox_en_sense_and_sensibility_0870.wav');
let server: TestServer;
let origin: Awaited<ReturnType<typeof startOrigin>>;

before(async () => {
  server = await startTestServer({ ANIMA_FETCH_ALLOW_PRIVATE: 'true' });
  origin = await startOrigin((_request, response) => {
    response.writeHead(200, { 'content-type': 'audio/wav' });
    fs.createReadStream(speech).pipe(response);
  });
});
after(async () => {
  origin.server.close();
  await server.close();
});

/** The same recording named the three ways a request may name a file. */
async function threeWays(appId: string): Promise<[string, MediaRef][]> {
  const files = server.platform.files;
  const stored = await files.saveUpload(fs.createReadStream(speech), 'speech.wav', appId);
  return [
    ['fileId', { fileId: stored.id }],
    ['own link', { url: files.signedUrl(stored) }],
    ['remote URL', { url: `${origin.url}/speech.wav` }],
  ];
}

test('a referenced file is checked against the kinds asked for, however it is named', async () => {
  const { appId } = await server.newApp('refs');
  for (const [way, ref] of await threeWays(appId)) {
    await assert.rejects(
      server.platform.files.resolve(ref, appId, undefined, ['image', 'video']),
      (error: unknown) => {
        assert.ok(isAppError(error), `${way}: ${String(error)}`);
        assert.equal(error.key, 'fileTypeUnsupported', way);
        assert.equal(error.message, 'unsupported file type audio/wav: expected image, video');
        return true;
      },
      way,
    );
    const opened = await server.platform.files.resolve(ref, appId, undefined, ['audio', 'video']);
    assert.equal(opened.mimeType, 'audio/wav', way);
    assert.equal(opened.appId, appId, way);
  }
});
