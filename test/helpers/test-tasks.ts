import fs from 'node:fs';
import { Type } from 'typebox';
import { AppError } from '../../src/errors/app-error.js';
import { runProcess } from '../../src/media/process.runner.js';
import type { Platform } from '../../src/platform.js';
import { ok } from '../../src/server/envelope.js';
import type { Server } from '../../src/server/types.js';
import type { TaskArea, TaskHandlers } from '../../src/tasks/task.contract.js';

/**
 * Task types the tests run through the real queue: each does real work (a real ffmpeg child
 * process, a real failure from the catalog) so that cancellation, crashes and callbacks are
 * exercised end to end.
 */
export type TestPayloads = {
  /** Runs ffmpeg in real time for `seconds`, reporting progress from its output. */
  'test.ffmpeg': { seconds: number };
  /** Fails with a catalog error, as a handler meeting bad input does. */
  'test.fail': { fileName: string };
  /** Answers its params back. */
  'test.echo': { value: string };
};

/**
 * With ANIMA_TEST_JOURNAL set, each task a handler completes is written there (its id, a line):
 * how a test sees whether one ran to completion twice, across processes.
 */
function journal(taskId: string): void {
  const file = process.env.ANIMA_TEST_JOURNAL;
  if (file) fs.appendFileSync(file, `${taskId}\n`);
}

export const testHandlers: TaskHandlers<TestPayloads> = {
  'test.ffmpeg': async ({ task, params, signal, progress }) => {
    const total = params.seconds;
    await runProcess(
      'ffmpeg',
      [
        '-hide_banner',
        '-nostdin',
        '-re',
        '-f',
        'lavfi',
        '-i',
        `sine=frequency=440:duration=${total}`,
        '-f',
        'null',
        '-',
      ],
      {
        signal,
        onStderr: (chunk) => {
          const match = /time=(\d+):(\d+):(\d+\.\d+)/.exec(chunk);
          if (match) {
            const seconds = Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]);
            progress('encode', (seconds / total) * 100);
          }
        },
      },
    );
    journal(task.id);
    return { seconds: total };
  },
  'test.fail': ({ params }) =>
    Promise.reject(new AppError('avatarNoAudio', { modelId: 'abc_s1', fileName: params.fileName })),
  'test.echo': ({ task, params }) => {
    journal(task.id);
    return Promise.resolve({ value: params.value });
  },
};

export const testArea: TaskArea = {
  prefix: '/api/test/v1/task',
  tag: 'test',
  types: ['test.ffmpeg', 'test.fail', 'test.echo'],
};

/** The create route of the test area, shaped like the product's create routes, and a socket. */
export function registerTestCreateRoute(app: Server, platform: Platform<TestPayloads>): void {
  app.get('/api/test/v1/socket', { websocket: true, schema: { hide: true } }, (socket, request) => {
    socket.send(JSON.stringify({ appId: request.appId }));
  });
  app.post(
    `${testArea.prefix}/create`,
    {
      schema: {
        hide: true,
        body: Type.Object({
          type: Type.Union([
            Type.Literal('test.ffmpeg'),
            Type.Literal('test.fail'),
            Type.Literal('test.echo'),
          ]),
          params: Type.Record(Type.String(), Type.Unknown()),
          callbackUrl: Type.Optional(Type.String()),
          userData: Type.Optional(Type.String()),
        }),
      },
    },
    async (request) => {
      const { type, params, callbackUrl, userData } = request.body;
      const task = await platform.queue.submit(type, request.appId, params as never, {
        callbackUrl: callbackUrl ?? null,
        userData: userData ?? null,
      });
      return ok({ taskId: task.id });
    },
  );
}
