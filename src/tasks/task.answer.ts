import type { JsonObject, TaskRecord } from './task.types.js';

/** What every task query, list item and callback says about a task, whatever its type. */
export interface TaskAnswer {
  readonly taskId: string;
  readonly type: string;
  readonly status: TaskRecord['status'];
  readonly stage: string;
  readonly progress: number;
  readonly errorCode: number | null;
  readonly errorMsg: string | null;
  readonly fix: string | null;
  readonly result: JsonObject | null;
  readonly attempts: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
}

export function toTaskAnswer(task: TaskRecord): TaskAnswer {
  return {
    taskId: task.id,
    type: task.type,
    status: task.status,
    stage: task.stage,
    progress: task.progress,
    errorCode: task.errorCode,
    errorMsg: task.errorMsg,
    fix: task.errorFix,
    result: task.result,
    attempts: task.attempts,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
    startedAt: task.startedAt,
    finishedAt: task.finishedAt,
  };
}
