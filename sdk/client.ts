/**
 * The typed Anima client. It speaks the same API a client of the hosted service does, so it also
 * shows how to call it: sign, token exchange, Bearer calls, uploads and task polling. The CLI and
 * the end-to-end tests use it.
 */
import { createHash } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import path from 'node:path';

export interface Envelope<T> {
  readonly code: number;
  readonly message: string;
  readonly data: T;
  readonly fix?: string;
  readonly detail?: ReadonlyArray<{ field: string; problem: string }>;
}

export interface TokenGrant {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly refreshToken: string;
  readonly refreshTokenExpiresIn: number;
}

export interface FileInfo {
  readonly fileId: string;
  readonly url: string;
  readonly name: string;
  readonly size: number;
  readonly mimeType: string;
}

export interface TaskAnswer {
  readonly taskId: string;
  readonly type: string;
  readonly status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  readonly stage: string;
  readonly progress: number;
  readonly errorCode: number | null;
  readonly errorMsg: string | null;
  readonly fix: string | null;
  readonly result: Record<string, unknown> | null;
}

/** An answer whose code is not 0 (or an HTTP failure without an envelope). */
export class AnimaApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: number,
    message: string,
    readonly fix?: string,
    /** For code 3333: each bad field and what is wrong with it. */
    readonly detail?: Envelope<unknown>['detail'],
  ) {
    super(
      `${message || `HTTP ${httpStatus}`}${detail?.length ? ` (${detail.map((d) => `${d.field} ${d.problem}`).join('; ')})` : ''}`,
    );
    this.name = 'AnimaApiError';
  }
}

export function computeSign(appId: string, timestamp: string, appKey: string): string {
  return createHash('md5').update(`${appId}${timestamp}${appKey}`).digest('hex');
}

export class AnimaClient {
  private grant: TokenGrant | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly appId: string,
    private readonly appKey: string,
  ) {}

  get accessToken(): string | undefined {
    return this.grant?.accessToken;
  }

  /** The sign grant, with a millisecond timestamp as public clients send. */
  async authenticate(): Promise<TokenGrant> {
    const timestamp = String(Date.now());
    this.grant = await this.call<TokenGrant>(
      'POST',
      '/api/uc/v1/access/api/token',
      {
        appId: this.appId,
        timestamp,
        sign: computeSign(this.appId, timestamp, this.appKey),
        grantType: 'sign',
      },
      false,
    );
    return this.grant;
  }

  async call<T>(method: 'GET' | 'POST', route: string, body?: unknown, auth = true): Promise<T> {
    const headers: Record<string, string> = {};
    if (auth) {
      if (!this.grant) await this.authenticate();
      headers.authorization = `Bearer ${this.grant?.accessToken ?? ''}`;
    }
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(new URL(route, this.baseUrl), {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return this.unwrap<T>(response);
  }

  async upload(file: string): Promise<FileInfo> {
    if (!this.grant) await this.authenticate();
    const form = new FormData();
    form.append('file', await openAsBlob(file), path.basename(file));
    const response = await fetch(new URL('/api/2dvh/v1/material/file/upload', this.baseUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${this.grant?.accessToken ?? ''}` },
      body: form,
    });
    return this.unwrap<FileInfo>(response);
  }

  task(areaPrefix: string, taskId: string): Promise<TaskAnswer> {
    return this.call<TaskAnswer>('GET', `${areaPrefix}/${taskId}`);
  }

  /** Polls a task until it ends, reporting each change of stage or progress. */
  async waitForTask(
    areaPrefix: string,
    taskId: string,
    onProgress?: (task: TaskAnswer) => void,
    intervalMs = 250,
  ): Promise<TaskAnswer> {
    for (;;) {
      const task = await this.task(areaPrefix, taskId);
      onProgress?.(task);
      if (task.status !== 'queued' && task.status !== 'running') return task;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  private async unwrap<T>(response: Response): Promise<T> {
    const text = await response.text();
    if (text === '') throw new AnimaApiError(response.status, response.status, response.statusText);
    const envelope = JSON.parse(text) as Envelope<T>;
    if (envelope.code !== 0)
      throw new AnimaApiError(
        response.status,
        envelope.code,
        envelope.message,
        envelope.fix,
        envelope.detail,
      );
    return envelope.data;
  }
}
