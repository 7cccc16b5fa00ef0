import assert from 'node:assert/strict';
import type { AnimaClient } from '../../sdk/client.js';

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
