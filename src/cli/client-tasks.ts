/**
 * What the client commands share: signing in from the config, a progress bar for a task, and
 * building an avatar from a clip or photo on disk.
 */
import path from 'node:path';
import { AnimaClient, type TaskAnswer } from '../../sdk/client.js';
import type { Config } from '../config/config.js';

export const avatarArea = '/api/2dvh/v1/material/avatar';
export const videoArea = '/api/2dvh/v1/material/video';
export const voiceArea = '/api/voice/v1/model';

/** A client signed in as the configured app, or an error saying how to configure one. */
export async function signedInClient(
  config: Pick<Config, 'serverUrl' | 'clientAppId' | 'clientAppKey'>,
): Promise<AnimaClient> {
  if (!config.clientAppId || !config.clientAppKey) {
    throw new Error(
      'give --app-id and --app-key (or ANIMA_APP_ID and ANIMA_APP_KEY): anima app create prints them',
    );
  }
  const client = new AnimaClient(config.serverUrl, config.clientAppId, config.clientAppKey);
  await client.authenticate();
  return client;
}

/** A one-line progress bar, redrawn in place on a terminal and printed per stage elsewhere. */
export function progressBar(write: (text: string) => void, interactive: boolean) {
  let lastStage = '';
  return (task: TaskAnswer) => {
    const width = 30;
    const filled = Math.round((task.progress / 100) * width);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(task.progress).padStart(3)}% ${task.stage}`;
    if (interactive) write(`\r${bar.padEnd(70)}`);
    else if (task.stage !== lastStage) write(`${bar}\n`);
    lastStage = task.stage;
  };
}

/** A task's failure as the user reads it: the message and its fix. */
export function failureText(what: string, task: TaskAnswer): string {
  return `${what}: ${task.status}: ${task.errorMsg ?? ''}${task.fix ? `\n  fix: ${task.fix}` : ''}`;
}

/** Uploads a clip or photo and builds an avatar from it, following the task to its end. */
export async function createAvatar(
  client: AnimaClient,
  file: string,
  name: string,
  onProgress: (task: TaskAnswer) => void,
): Promise<TaskAnswer> {
  const uploaded = await client.upload(file);
  const { taskId } = await client.call<{ taskId: string }>('POST', `${avatarArea}/create`, {
    name: name || path.parse(file).name,
    fileId: uploaded.fileId,
  });
  return client.waitForTask(avatarArea, taskId, onProgress);
}
