/** A worker for WorkerClient's tests: answers every request at once with its own id. */
import { parentPort } from 'node:worker_threads';

parentPort?.on('message', (request: { id: number }) => {
  parentPort?.postMessage({ id: request.id });
});
