import { isAppError } from '../errors/app-error.js';
import { checkUrlTarget } from '../net/safe-request.js';
import { openPlatform } from '../platform.js';
import { wireProduct } from '../server/product.js';
import { parseCommand } from './args.js';

const usage = `usage:
  anima app create [--data DIR] [--name N] [--app-id ID --app-key KEY] [--callback-url URL]
  anima app list [--data DIR]
  anima app revoke <appId> [--data DIR]`;

/** `anima app create|list|revoke`: apps are managed on the data directory directly. */
export async function runAppCommand(
  argv: readonly string[],
  print: (text: string) => void,
): Promise<number> {
  const [sub, ...rest] = argv;
  const { config, values, positionals } = parseCommand(rest, ['dataDir'], {
    name: { type: 'string' },
    'app-id': { type: 'string' },
    'app-key': { type: 'string' },
    'callback-url': { type: 'string' },
  });
  const platform = await openPlatform(config, { tasks: wireProduct });
  try {
    switch (sub) {
      case 'create': {
        const appId = values['app-id'];
        const appKey = values['app-key'];
        if ((appId === undefined) !== (appKey === undefined))
          throw new Error('give --app-id and --app-key together');
        for (const [flag, value] of [
          ['--app-id', appId],
          ['--app-key', appKey],
        ] as const) {
          if (typeof value === 'string' && !/^[0-9a-zA-Z_-]{8,64}$/.test(value)) {
            throw new Error(`${flag} must be 8 to 64 letters, digits, _ or -`);
          }
        }
        const callbackUrl = values['callback-url'];
        // Refused now, with the policy that delivery applies, rather than on every delivery.
        if (typeof callbackUrl === 'string') {
          const policy = {
            allowPrivate: config.fetchAllowPrivate,
            allowHosts: config.fetchAllowHosts,
          };
          await checkUrlTarget(callbackUrl, policy, '--callback-url').catch((error: unknown) => {
            throw isAppError(error)
              ? new Error(`--callback-url: ${error.message}; ${error.fix}`)
              : error;
          });
        }
        const app = await platform.auth.createApp({
          ...(typeof values.name === 'string' ? { name: values.name } : {}),
          ...(typeof appId === 'string' && typeof appKey === 'string' ? { appId, appKey } : {}),
          ...(typeof callbackUrl === 'string' ? { callbackUrl } : {}),
        });
        print(
          JSON.stringify(
            { appId: app.appId, appKey: app.appKey, name: app.name, callbackUrl: app.callbackUrl },
            null,
            2,
          ),
        );
        return 0;
      }
      case 'list':
        print(
          JSON.stringify(
            (await platform.auth.listApps()).map((app) => ({
              appId: app.appId,
              name: app.name,
              callbackUrl: app.callbackUrl,
              createdAt: new Date(app.createdAt).toISOString(),
              revoked: app.revokedAt !== null,
            })),
            null,
            2,
          ),
        );
        return 0;
      case 'revoke': {
        const appId = positionals[0];
        if (!appId) throw new Error(usage);
        if (!(await platform.auth.revokeApp(appId))) throw new Error(`no active app ${appId}`);
        print(JSON.stringify({ appId, revoked: true }));
        return 0;
      }
      default:
        throw new Error(usage);
    }
  } finally {
    void platform.close();
  }
}
