import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runDemoCommand } from '../../src/cli/demo.command.js';
import { probeMedia } from '../../src/media/probe.js';
import { wordErrorRate } from '../../src/voice/wer.js';
import { tempDir } from '../helpers/harness.js';

test('the demo walks the API once: token, upload, download, speech both ways, avatar, video', async () => {
  const dataDir = tempDir();
  try {
    const printed: string[] = [];
    const code = await runDemoCommand(
      ['--once', '--data', dataDir, '--port', '0'],
      (text) => void printed.push(text),
    );
    assert.equal(code, 0);
    const output = printed.join('\n');
    assert.match(output, /download: +the signed link returned 200/);
    const heard = /recognised: +"([^"]*)"/.exec(output)?.[1] ?? '';
    const said = 'Hello, I am Anima, your own digital human. It is nice to meet you.';
    assert.ok(wordErrorRate(said, heard) < 0.5, `heard "${heard}"`);
    for (const name of ['hello-en.wav', 'hello-zh.wav', 'hello-en.srt']) {
      assert.ok(fs.statSync(path.join(dataDir, 'demo', name)).size > 100, name);
    }
    assert.match(output, /avatar: +built from grid_bbaf2n\.mpg -> face_feature_id [0-9a-f]{32}_s1/);
    const video = path.join(dataDir, 'demo', 'anima-demo.mp4');
    assert.match(output, new RegExp(`video: +${video.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const info = await probeMedia(video);
    assert.deepEqual([info.video?.codec, info.audio?.codec], ['h264', 'aac']);
    assert.ok(info.durationSeconds > 3, `${info.durationSeconds} s`);
    const wav = fs.readFileSync(path.join(dataDir, 'demo', 'hello-zh.wav'));
    assert.equal(wav.toString('ascii', 0, 4), 'RIFF');
    assert.ok(wav.readUInt32LE(40) > 16000 * 2 * 2, 'a few seconds of Mandarin');
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
