import { productServer, wireProduct } from '../server/product.js';
import { startServer } from '../server/serve.js';
import { capYoungGeneration } from '../util/memory-policy.js';
import { parseCommand } from './args.js';

/** `anima serve [--role all|api|worker]`: the API, the workers, or both, until SIGINT or SIGTERM. */
export async function runServeCommand(argv: readonly string[]): Promise<void> {
  const { config } = parseCommand(argv, [
    'port',
    'host',
    'dataDir',
    'publicUrl',
    'logLevel',
    'role',
  ]);
  capYoungGeneration();
  const server = await startServer(config, wireProduct, productServer);
  const stop = (): void => {
    server.app.log.info('shutting down; running tasks go back to the queue');
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
