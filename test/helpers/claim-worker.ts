// A second server's worker, in a thread of its own: its own connection to the same database file,
// claiming until the queue is empty, then posting back what it took.
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../../src/storage/database.js';
import { SqliteTaskStore } from '../../src/tasks/sqlite-task.store.js';

const { file, type } = workerData as { file: string; type: string };
const db = openDatabase(file);
const store = new SqliteTaskStore(db);
const ids: string[] = [];
for (;;) {
  const task = await store.claimNext(type, Date.now());
  if (!task) break;
  ids.push(task.id);
}
db.close();
parentPort?.postMessage(ids);
