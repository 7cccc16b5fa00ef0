/**
 * bench/live: the live figures of issue 14, each measured on what the session sends out.
 *   soak       one 720p25 session (real avatar, TTS looping): counters, frame regularity of the
 *              MPEG-TS output, A/V offset of a white flash and a 1 kHz beep each second
 *   interrupt  push with interrupt while speaking → first RTP packet of the new text's first frame
 *   browser    push while idle → first speaking frame shown by chromium, over WebRTC and HLS
 *   capacity   simultaneous sessions with no late or repeated frames, beside ffmpeg encodes alone
 *
 *   npm run bench:live                                   (everything, 5 min soak)
 *   node dist/bench/live.js --parts soak --minutes 0.5   (a short look)
 * Flags: --parts a,b  --minutes 5  --interrupts 20  --pushes 10  --level-seconds 60
 *        --levels 1,2,3,4,5,6  --sizes 1280x720,854x480  --beep-shift 0 (frames; a self-check)
 *        --compose encoder,compositor (who composes in the capacity part; each in turn)
 *        --look plain|background (the avatar alone on black, or keyed over a 1280x720 picture)
 *        --keep DIR (the soak's captured MPEG-TS and the page's screenshots go there, to look at)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runFfmpeg } from '../src/media/process.runner.js';
import { browserLatency } from './live-browser.js';
import { capacity } from './live-capacity.js';
import { openRig } from './live-rig.js';
import { interrupts, soak } from './live-soak.js';

const { values } = parseArgs({
  options: {
    parts: { type: 'string', default: 'soak,interrupt,browser,capacity' },
    minutes: { type: 'string', default: '5' },
    interrupts: { type: 'string', default: '20' },
    pushes: { type: 'string', default: '10' },
    'level-seconds': { type: 'string', default: '60' },
    levels: { type: 'string', default: '1,2,3,4,5,6' },
    sizes: { type: 'string', default: '1280x720,854x480' },
    'beep-shift': { type: 'string', default: '0' },
    compose: { type: 'string', default: 'encoder' },
    look: { type: 'string', default: 'plain' },
    keep: { type: 'string' },
  },
});
const parts = new Set(values.parts.split(','));
const cpus = os.cpus();
process.stdout.write(
  `bench/live: ${cpus.length} cores (${cpus[0]?.model ?? 'cpu'}), load average ` +
    `${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} at the start\n`,
);
/** A busy 1280x720 picture (ffmpeg's test pattern) to stand behind the avatar. */
async function backgroundPicture(into: string): Promise<string> {
  const file = path.join(into, 'background.png');
  await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=1280x720', '-frames:v', '1', file]);
  return file;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anima-bench-live-'));
const rig = await openRig(dir);
try {
  if (parts.has('soak')) await soak(rig, Number(values.minutes), Number(values['beep-shift']));
  if (parts.has('interrupt')) await interrupts(rig, Number(values.interrupts));
  if (parts.has('browser')) await browserLatency(rig, Number(values.pushes), values.keep);
  if (parts.has('capacity')) {
    await capacity(rig, {
      seconds: Number(values['level-seconds']),
      levels: values.levels.split(',').map(Number),
      sizes: values.sizes.split(',').map((size) => size.split('x').map(Number) as [number, number]),
      ...(values.look === 'background' ? { background: await backgroundPicture(dir) } : {}),
      composeIn: values.compose.split(',').map((who) => {
        if (who !== 'encoder' && who !== 'compositor') throw new Error(`--compose ${who}?`);
        return who;
      }),
    });
  }
  if (values.keep && fs.existsSync(path.join(dir, 'soak.ts'))) {
    fs.copyFileSync(path.join(dir, 'soak.ts'), path.join(values.keep, 'soak.ts'));
  }
  process.stdout.write(
    `load average at the end ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}\n`,
  );
} finally {
  await rig.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
