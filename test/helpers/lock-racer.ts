/**
 * One of several servers started together on one data directory: waits for the agreed instant,
 * opens the platform with its lock, prints "HELD" or "REFUSED <reason>", and keeps the lock until
 * its standard input ends (the test ends it once every racer has spoken, so a racer slowed by a
 * loaded machine cannot come after the holder let go and be mistaken for a second holder).
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
  const platform = await openPlatform(config, { tasks: {}, lock: true });
  process.stdout.write('HELD\n');
  process.stdin.resume();
  await new Promise((resolve) => process.stdin.once('end', resolve));
  await platform.close();
} catch (error) {
  process.stdout.write(`REFUSED ${(error as Error).message}\n`);
}
