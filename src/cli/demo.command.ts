import path from 'node:path';
import { AnimaClient } from '../../sdk/client.js';
import { startServer } from '../server/serve.js';
import { productHandlers } from '../tasks/handlers.js';
import { samplesDir } from '../util/paths.js';
import { parseCommand } from './args.js';

/**
 * `anima demo`: starts the server on the embedded defaults, makes a demo app, and walks the API
 * the way a client would (sign → token → upload a bundled clip → signed download link), printing
 * each step and the commands to try next. It keeps serving unless --once is given.
 */
export async function runDemoCommand(
  argv: readonly string[],
  print: (text: string) => void,
): Promise<number> {
  const { config, values } = parseCommand(argv, ['port', 'host', 'dataDir', 'logLevel'], {
    once: { type: 'boolean' },
  });
  const server = await startServer(
    { ...config, logLevel: values.once ? 'warn' : config.logLevel },
    productHandlers,
  );
  try {
    const app =
      server.platform.auth
        .listApps()
        .find((candidate) => candidate.name === 'demo' && candidate.revokedAt === null) ??
      server.platform.auth.createApp({ name: 'demo' });
    const client = new AnimaClient(server.url, app.appId, app.appKey);
    const grant = await client.authenticate();
    const clip = path.join(samplesDir, 'video', 'grid_bbaf2n.mpg');
    const uploaded = await client.upload(clip);
    const download = await fetch(uploaded.url);
    const bytes = (await download.arrayBuffer()).byteLength;
    print(`Anima is running at ${server.url} (data in ${config.dataDir})
  demo app:     appId ${app.appId}  appKey ${app.appKey}
  token:        exchanged an MD5 sign for an access token valid ${grant.expiresIn} s
  upload:       ${path.basename(clip)} -> fileId ${uploaded.fileId} (${uploaded.mimeType}, ${uploaded.size} bytes)
  download:     the signed link returned ${download.status} with ${bytes} bytes
  API docs:     ${server.url}/docs

Try it yourself:
  ts=$(date +%s); sign=$(printf '%s' "${app.appId}$${'{ts}'}${app.appKey}" | md5sum | cut -c1-32)
  curl -s -X POST ${server.url}/api/uc/v1/access/api/token -H 'Content-Type: application/json' \\
    -d "{\\"appId\\":\\"${app.appId}\\",\\"timestamp\\":\\"$ts\\",\\"sign\\":\\"$sign\\",\\"grantType\\":\\"sign\\"}"`);
    if (values.once) return 0;
    print('\nServing until Ctrl-C.');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    return 0;
  } finally {
    await server.close();
  }
}
