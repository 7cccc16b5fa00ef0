import assert from 'node:assert/strict';
import path from 'node:path';
import { AnimaClient } from '../../sdk/client.js';
import type { ProductPayloads, ProductServices } from '../../src/server/product.js';
import { samplesDir } from '../../src/util/paths.js';
import { startProductServer, type TestServer } from './harness.js';

const avatarArea = '/api/2dvh/v1/material/avatar';

/** Uploads a clip and builds its avatar through the API, as a client does: its face_feature_id. */
export async function buildAvatarThroughApi(
  client: AnimaClient,
  clip: string,
  name: string,
): Promise<string> {
  const upload = await client.upload(clip);
  const { taskId } = await client.call<{ taskId: string }>('POST', `${avatarArea}/create`, {
    name,
    fileId: upload.fileId,
  });
  const done = await client.waitForTask(avatarArea, taskId);
  assert.equal(done.status, 'succeeded', JSON.stringify(done));
  return (done.result as { face_feature_id: string }).face_feature_id;
}

/**
 * A product server, a signed-in client of a new app, and an avatar built from the lrwp9a GRID
 * clip through the API: what the video tests start from.
 */
export async function startWithAvatar(
  appName: string,
  env: Record<string, string> = {},
): Promise<{
  server: TestServer<ProductPayloads, ProductServices>;
  client: AnimaClient;
  appId: string;
  faceFeatureId: string;
}> {
  const server = await startProductServer(env);
  const created = await server.platform.auth.createApp({ name: appName });
  const client = new AnimaClient(await server.listen(), created.appId, created.appKey);
  await client.authenticate();
  const clip = path.join(samplesDir, 'video', 'grid_lrwp9a.mpg');
  const faceFeatureId = await buildAvatarThroughApi(client, clip, 'lrwp');
  return { server, client, appId: created.appId, faceFeatureId };
}
