import type { TaskHandlers } from './task.queue.js';

/**
 * Task payloads by task type: one entry per type, and `productHandlers` below must have a handler
 * for each, or the build fails. Features add their types here as they land.
 */
export type ProductPayloads = Record<never, never>;

export const productHandlers: TaskHandlers<ProductPayloads> = {};
