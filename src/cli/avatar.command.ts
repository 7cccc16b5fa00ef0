import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writePreview } from '../avatar/preview.js';
import { parseCommand } from './args.js';
import {
  avatarArea as area,
  createAvatar,
  failureText,
  progressBar,
  signedInClient,
} from './client-tasks.js';

export const avatarUsage = `  anima avatar create <video or photo> [--name N] [--url URL --app-id ID --app-key KEY]
  anima avatar list [--url URL --app-id ID --app-key KEY]
  anima avatar preview <model.zip> [--out DIR]`;

/**
 * `anima avatar create|list`: a client of a running server, signing in as an app (the hosted
 * service's clients do the same): upload the clip, start the build, follow it to the end.
 * `anima avatar preview` works on a model zip on disk.
 */
export async function runAvatarCommand(
  argv: readonly string[],
  print: (text: string) => void,
  progressOut: (text: string) => void = (text) => void process.stderr.write(text),
  interactive = process.stderr.isTTY,
): Promise<number> {
  const [action, ...rest] = argv;
  const { config, values, positionals } = parseCommand(
    rest,
    ['serverUrl', 'clientAppId', 'clientAppKey'],
    { name: { type: 'string' }, out: { type: 'string' } },
  );
  if (action === 'preview') {
    const zip = positionals[0];
    if (!zip) throw new Error(`which model? usage:\n${avatarUsage}`);
    const out = typeof values.out === 'string' ? values.out : `${path.parse(zip).name}-preview`;
    const work = await fs.mkdtemp(path.join(os.tmpdir(), 'anima-preview-'));
    try {
      const preview = await writePreview(zip, out, work);
      print(`mouth atlas: ${preview.sheet}\nbase loop:   ${preview.loop}`);
      return 0;
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  }
  const client = await signedInClient(config);
  switch (action) {
    case 'create': {
      const video = positionals[0];
      if (!video) throw new Error(`which video or photo? usage:\n${avatarUsage}`);
      const name = typeof values.name === 'string' ? values.name : path.parse(video).name;
      const done = await createAvatar(client, video, name, progressBar(progressOut, interactive));
      if (interactive) progressOut('\n');
      if (done.status !== 'succeeded') {
        print(failureText(`avatar ${name}`, done));
        return 1;
      }
      const result = done.result as { face_feature_id: string; url: string };
      print(`avatar ${name}: face_feature_id ${result.face_feature_id}\n  model: ${result.url}`);
      return 0;
    }
    case 'list': {
      const { models } = await client.call<{
        models: { face_feature_id: string; name: string; createdAt: number }[];
      }>('GET', `${area}/models`);
      if (models.length === 0) print('no avatar models yet');
      for (const model of models) {
        print(
          `${model.face_feature_id}  ${new Date(model.createdAt).toISOString()}  ${model.name}`,
        );
      }
      return 0;
    }
    default:
      throw new Error(`unknown avatar action "${action ?? ''}"; usage:\n${avatarUsage}`);
  }
}
