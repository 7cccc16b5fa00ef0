import { Type } from 'typebox';
import { AppError } from '../../errors/app-error.js';
import { toTaskAnswer } from '../../tasks/task.answer.js';
import type { TaskArea } from '../../tasks/task.contract.js';
import type { TaskRecord, TaskStore } from '../../tasks/task.types.js';
import { taskStatuses } from '../../tasks/task.types.js';
import { ok } from '../envelope.js';
import type { Server } from '../types.js';

export interface TaskCanceller {
  cancel(task: TaskRecord): Promise<void>;
}

/** Far beyond any real list (100 million tasks at the largest page size). */
const maxPage = 1_000_000;

const taskIdParams = Type.Object({ taskId: Type.String({ pattern: '^[0-9a-f]{32}$' }) });
const taskIdBody = Type.Object({ taskId: Type.String({ pattern: '^[0-9a-f]{32}$' }) });

/** A task of this app and area, or not found: tasks of other apps are invisible. */
export async function findTask(
  store: TaskStore,
  area: TaskArea,
  taskId: string,
  appId: string,
): Promise<TaskRecord> {
  const task = await store.get(taskId);
  if (!task || task.appId !== appId || !area.types.includes(task.type))
    throw new AppError('taskNotFound', { taskId });
  return task;
}

/** Query, list, cancel and delete: the same four routes for every task area. */
export function registerTaskRoutes(
  app: Server,
  store: TaskStore,
  queue: TaskCanceller,
  area: TaskArea,
): void {
  const tags = [area.tag];

  app.get(
    `${area.prefix}/list`,
    {
      schema: {
        tags,
        summary: `List ${area.tag} tasks, newest first`,
        querystring: Type.Object({
          // Bounded so that the offset stays a safe integer SQLite can bind.
          page: Type.Integer({ minimum: 1, maximum: maxPage, default: 1 }),
          size: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
          status: Type.Optional(Type.Union(taskStatuses.map((s) => Type.Literal(s)))),
          type: Type.Optional(Type.String()),
        }),
      },
    },
    async (request) => {
      const { page, size, status, type } = request.query;
      if (type !== undefined && !area.types.includes(type)) {
        throw new AppError(
          'badParams',
          {},
          { detail: [{ field: 'type', problem: `must be one of ${area.types.join(', ')}` }] },
        );
      }
      const result = await store.list({
        appId: request.appId,
        types: type ? [type] : area.types,
        page,
        size,
        ...(status ? { status } : {}),
      });
      return ok({ page, size, total: result.total, items: result.items.map(toTaskAnswer) });
    },
  );

  app.get(
    `${area.prefix}/:taskId`,
    { schema: { tags, summary: `Query a ${area.tag} task`, params: taskIdParams } },
    async (request) =>
      ok(toTaskAnswer(await findTask(store, area, request.params.taskId, request.appId))),
  );

  app.post(
    `${area.prefix}/cancel`,
    { schema: { tags, summary: `Cancel a queued or running ${area.tag} task`, body: taskIdBody } },
    async (request) => {
      const task = await findTask(store, area, request.body.taskId, request.appId);
      await queue.cancel(task);
      return ok(toTaskAnswer(await findTask(store, area, task.id, request.appId)));
    },
  );

  app.post(
    `${area.prefix}/delete`,
    { schema: { tags, summary: `Delete an ended ${area.tag} task`, body: taskIdBody } },
    async (request) => {
      const task = await findTask(store, area, request.body.taskId, request.appId);
      if (task.status === 'queued' || task.status === 'running') {
        throw new AppError('taskStillActive', { taskId: task.id, status: task.status });
      }
      await store.delete(task.id);
      return ok(true);
    },
  );
}
