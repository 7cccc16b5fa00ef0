/**
 * The task contract: what a handler is given and returns, and how a product declares its task
 * types. It sits low in tasks/ and imports no feature, so features implement it without reaching
 * up, and the product's one declaration (server/product.ts) derives the rest from it.
 */
import type { JsonObject, TaskRecord } from './task.types.js';

export interface TaskContext<P> {
  readonly task: TaskRecord;
  readonly params: P;
  /** Aborted when the task is cancelled or the server shuts down; pass it to every child process. */
  readonly signal: AbortSignal;
  /** A scratch folder for this run, removed when the handler returns. */
  readonly workDir: string;
  /** Reports the stage and 0–100 progress; cheap to call often (writes are throttled). */
  readonly progress: (stage: string, percent: number) => void;
}

export type TaskHandler<P, R extends JsonObject = JsonObject> = (
  context: TaskContext<P>,
) => Promise<R>;

/** One handler per task type, keyed by the same names as the payload map, so none is forgotten. */
export type TaskHandlers<Payloads extends Record<string, object>> = {
  readonly [K in keyof Payloads & string]: TaskHandler<Payloads[K]>;
};

export interface SubmitOptions {
  readonly callbackUrl?: string | null;
  readonly userData?: string | null;
}

/** Where a route hands work: a queue taking the task types of `Payloads`. */
export interface TaskSubmitter<Payloads extends Record<string, object>> {
  submit<K extends keyof Payloads & string>(
    type: K,
    appId: string,
    params: Payloads[K],
    options?: SubmitOptions,
  ): Promise<TaskRecord>;
}

/** A family of task types reached under one URL prefix (videos, avatars, voices...). */
export interface TaskArea<Type extends string = string> {
  readonly prefix: string;
  readonly tag: string;
  readonly types: readonly Type[];
}

/** Makes a task type's handler from the services it uses, once, at start-up. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any payload: inferred per type
export type HandlerFactory<S> = (services: S) => TaskHandler<any>;

/** One area as a product declares it: where its routes live and the task types it runs. */
export interface AreaDeclaration<S, R> {
  readonly prefix: string;
  readonly tag: string;
  /** Task type → its handler's factory; the payload type is the handler's. */
  readonly tasks: Readonly<Record<string, HandlerFactory<S>>>;
  /** The area's own routes (create, lists of what it made), beside the shared task routes. */
  readonly routes?: R;
}

export type ProductDeclaration<S, R> = Readonly<Record<string, AreaDeclaration<S, R>>>;

type TaskMaps<D> = {
  [A in keyof D]: D[A] extends { readonly tasks: infer T } ? T : never;
}[keyof D];
type TaskTypes<D> =
  TaskMaps<D> extends infer T ? (T extends unknown ? keyof T & string : never) : never;
type PayloadOf<F> = F extends (services: never) => TaskHandler<infer P> ? P : never;
type PayloadIn<T, K extends string> = T extends { readonly [key in K]: infer F }
  ? PayloadOf<F>
  : never;

/** The payload of each task type a declaration names: the map the queue and routes are typed by. */
export type PayloadsOf<D> = {
  [K in TaskTypes<D>]: PayloadIn<TaskMaps<D>, K> & object;
};

/** Every area's task routes, each listing its own types. */
export function areasOf<D extends ProductDeclaration<never, unknown>>(
  declaration: D,
): readonly TaskArea<TaskTypes<D>>[] {
  return Object.values(declaration).map((area) => ({
    prefix: area.prefix,
    tag: area.tag,
    types: Object.keys(area.tasks) as TaskTypes<D>[],
  }));
}

/** Every task type's handler, made once from the services given. */
export function handlersOf<S, D extends ProductDeclaration<S, unknown>>(
  declaration: D,
  services: S,
): TaskHandlers<PayloadsOf<D>> {
  const handlers: Record<string, TaskHandler<unknown>> = {};
  for (const area of Object.values(declaration)) {
    for (const [type, make] of Object.entries(area.tasks)) {
      if (type in handlers) throw new Error(`task type ${type} is declared twice`);
      handlers[type] = make(services);
    }
  }
  // One handler for each task type the declaration names: the keys PayloadsOf<D> has.
  return handlers;
}
