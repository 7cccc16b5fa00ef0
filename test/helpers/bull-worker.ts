/**
 * A worker in a process of its own, for a test to kill: takes `q.slow` tasks from the BullMQ
 * queue over `redisUrl`, records them in the SQLite file `dbFile`, prints "STARTED <taskId>" as
 * one starts, and never finishes it.
 *
 *   node bull-worker.js <dbFile> <redisUrl> <workRoot> <lockMs> <prefix>
 */
import { openDatabase } from '../../src/storage/database.js';
import { BullTaskQueue } from '../../src/tasks/bull-queue.js';
import { SqliteTaskStore } from '../../src/tasks/sqlite-task.store.js';

const [dbFile = '', redisUrl = '', workRoot = '', lockMs = '1000', prefix = 'anima'] =
  process.argv.slice(2);
const queue = new BullTaskQueue(
  new SqliteTaskStore(openDatabase(dbFile)),
  {
    'q.slow': ({ task, signal }) => {
      process.stdout.write(`STARTED ${task.id}\n`);
      return new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(new Error('aborted')));
      });
    },
  },
  {
    redisUrl,
    prefix,
    work: true,
    lockMs: Number(lockMs),
    workRoot,
    concurrency: {},
    maxAttempts: 3,
  },
);
await queue.start();
process.stdout.write('READY\n');
