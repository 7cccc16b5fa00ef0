/** A task as both stores keep it: one row of the tasks table, read back as a record. */
import type { JsonObject, TaskRecord, TaskStatus } from './task.types.js';

export interface TaskRow {
  id: string;
  type: string;
  app_id: string;
  params: string;
  status: TaskStatus;
  stage: string;
  progress: number;
  error_code: number | null;
  error_msg: string | null;
  error_fix: string | null;
  result: string | null;
  callback_url: string | null;
  user_data: string | null;
  attempts: number;
  cancel_requested: number;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
}

export function toRecord(row: TaskRow): TaskRecord {
  return {
    id: row.id,
    type: row.type,
    appId: row.app_id,
    params: JSON.parse(row.params) as JsonObject,
    status: row.status,
    stage: row.stage,
    progress: row.progress,
    errorCode: row.error_code,
    errorMsg: row.error_msg,
    errorFix: row.error_fix,
    result: row.result === null ? null : (JSON.parse(row.result) as JsonObject),
    callbackUrl: row.callback_url,
    userData: row.user_data,
    attempts: row.attempts,
    cancelRequested: row.cancel_requested === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
