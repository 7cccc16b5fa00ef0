/**
 * The real server with the test task types, run as its own process so that a test can SIGKILL
 * it mid-task and start it again on the same data directory. Prints "READY <url>" when listening.
 */
import { loadConfig } from '../../src/config/config.js';
import { startServer } from '../../src/server/serve.js';
import { registerTestCreateRoute, testArea, testHandlers } from './test-tasks.js';

const server = await startServer(loadConfig(), testHandlers, {
  areas: [testArea],
  routes: [registerTestCreateRoute],
});
process.stdout.write(`READY ${server.url}\n`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
