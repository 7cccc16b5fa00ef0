/**
 * One of several servers started together on one data directory: waits for the agreed instant,
 * opens the platform with its lock, prints "HELD" or "REFUSED <reason>", keeps the lock a moment
 * (so a racer that got in too cannot be mistaken for one that came after), and exits.
 *
 *   node lock-racer.js <dataDir> <startAtEpochMs>
 */
import { loadConfig } from '../../src/config/config.js';
import { openPlatform } from '../../src/platform.js';

const [dataDir = '', startAt = '0'] = process.argv.slice(2);
const config = loadConfig({ env: { ANIMA_DATA: dataDir, ANIMA_LOG_LEVEL: 'silent' } });
// Spun, not slept: every racer leaves the wait within microseconds of the others.
while (performance.timeOrigin + performance.now() < Number(startAt)) {
  // wait
}
try {
  const platform = openPlatform(config, { tasks: {}, lock: true });
  process.stdout.write('HELD\n');
  await new Promise((resolve) => setTimeout(resolve, 400));
  await platform.close();
} catch (error) {
  process.stdout.write(`REFUSED ${(error as Error).message}\n`);
}
