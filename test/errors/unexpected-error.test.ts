import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { scrubReason, unexpectedError } from '../../src/errors/unexpected.js';
import { runProcess } from '../../src/media/process.runner.js';
import { tempDir } from '../helpers/harness.js';

// A data directory whose name holds a space, as operators' often do ("/srv/Anima Data").
const dataDir = tempDir('anima data ');
after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

test('an unexpected failure answers 5000 with no server path in its words', async () => {
  const file = path.join(dataDir, 'files', 'ab', 'ab12cd34');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, 'not media at all');
  // A real ffmpeg failure whose message names the server's file, as a handler could let through.
  const failure = await runProcess('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-']).then(
    () => assert.fail('ffmpeg read text as media'),
    (error: unknown) => error,
  );
  assert.ok(failure instanceof Error && failure.message.includes(dataDir), 'the raw error has it');
  const answered = unexpectedError(failure, dataDir);
  assert.equal(answered.code, 5000);
  assert.match(answered.message, /^internal error: ffmpeg exited with 1/);
  assert.ok(!answered.message.includes(dataDir), answered.message);
  assert.ok(!answered.message.includes('/tmp'), answered.message);
  assert.ok(!answered.message.includes('\n'), 'one line');
});

test('paths go, URLs, fractions and the first line stay', () => {
  assert.equal(
    scrubReason('could not open /usr/share/festival/voices/x.scm: denied'),
    'could not open …/x.scm: denied',
  );
  assert.equal(
    scrubReason("ENOENT: no such file or directory, open '/var/lib/anima/work/t1/speech.wav'"),
    "ENOENT: no such file or directory, open '…/speech.wav'",
  );
  assert.equal(
    scrubReason('fetch https://media.example.com/a/b.mp4 failed at 1/2 of 24/7'),
    'fetch https://media.example.com/a/b.mp4 failed at 1/2 of 24/7',
  );
  assert.equal(
    scrubReason('Cannot read x\n    at render (/srv/app/dist/src/video/render.js:10:5)'),
    'Cannot read x',
  );
  assert.equal(
    scrubReason('bad /srv/Anima Data/files/ab/cd here', '/srv/Anima Data'),
    'bad …/cd here',
  );
  assert.ok(scrubReason('x'.repeat(1000)).length <= 301);
});
