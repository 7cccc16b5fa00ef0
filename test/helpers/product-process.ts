/**
 * The product server, as `anima serve` runs it, in its own process so that a test can SIGKILL it
 * (a machine lost with its work running). Prints "READY <url>" when listening.
 */
import { loadConfig } from '../../src/config/config.js';
import { productServer, wireProduct } from '../../src/server/product.js';
import { startServer } from '../../src/server/serve.js';

const server = await startServer(loadConfig(), wireProduct, productServer);
process.stdout.write(`READY ${server.url}\n`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
