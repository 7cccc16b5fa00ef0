/**
 * bench/api: HTTP throughput and latency of the API on loopback, beside the ceiling of a bare
 * Fastify route on the same machine in the same run. The servers run as their own processes; the
 * load generator (autocannon) runs here.
 *
 *   npm run bench:api [-- --seconds 10 --connections 10]
 */
import autocannon from 'autocannon';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AnimaClient, computeSign } from '../sdk/client.js';
import {
  createAppWithCli,
  startServerProcess,
  stopProcess,
} from '../test/helpers/server-process.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const children: ChildProcess[] = [];

async function startProcess(script: string, env: Record<string, string>): Promise<string> {
  const server = await startServerProcess(script, env);
  children.push(server.child);
  return server.url;
}

interface Row {
  readonly name: string;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

async function load(name: string, options: autocannon.Options): Promise<Row> {
  const result = await autocannon({ connections, duration: seconds, ...options });
  const non2xx = result.non2xx + result.errors + result.timeouts;
  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: non2xx,
  };
}

async function main(dataDir: string): Promise<void> {
  const created = createAppWithCli(dataDir, 'bench');
  const animaUrl = await startProcess('dist/test/helpers/crash-server.js', {
    ANIMA_DATA: dataDir,
    ANIMA_PORT: '0',
    ANIMA_LOG_LEVEL: 'warn',
    ANIMA_RATE_LIMIT: '1000000000',
    ANIMA_CONCURRENCY: 'test.echo=4',
  });
  const bareUrl = await startProcess('dist/bench/bare-server.js', {});
  const client = new AnimaClient(animaUrl, created.appId, created.appKey);
  await client.authenticate();
  const auth = {
    authorization: `Bearer ${client.accessToken ?? ''}`,
    'content-type': 'application/json',
  };
  const { taskId } = await client.call<{ taskId: string }>('POST', '/api/test/v1/task/create', {
    type: 'test.echo',
    params: { value: 'x' },
  });
  const timestamp = String(Date.now());
  const tokenBody = JSON.stringify({
    appId: created.appId,
    timestamp,
    sign: computeSign(created.appId, timestamp, created.appKey),
    grantType: 'sign',
  });

  const rows: Row[] = [];
  // Warm both servers up before measuring.
  await autocannon({ url: `${bareUrl}/constant`, connections, duration: 2 });
  await autocannon({
    url: `${animaUrl}/api/test/v1/task/${taskId}`,
    headers: auth,
    connections,
    duration: 2,
  });
  rows.push(await load('ceiling: bare Fastify constant', { url: `${bareUrl}/constant` }));
  rows.push(
    await load('token exchange (MD5 sign)', {
      url: `${animaUrl}/api/uc/v1/access/api/token`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: tokenBody,
    }),
  );
  // The exchange above retired the token we hold; get a fresh one.
  await client.authenticate();
  auth.authorization = `Bearer ${client.accessToken ?? ''}`;
  rows.push(
    await load('task query (authenticated)', {
      url: `${animaUrl}/api/test/v1/task/${taskId}`,
      headers: auth,
    }),
  );
  rows.push(
    await load('task submit (queued, then run)', {
      url: `${animaUrl}/api/test/v1/task/create`,
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ type: 'test.echo', params: { value: 'x' } }),
    }),
  );

  const ceiling = rows[0]?.rps ?? 1;
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(
    `\nbench/api: ${seconds} s per route, ${connections} connections, loopback, ${os.cpus().length} cores (${cpu})\n\n`,
  );
  process.stdout.write(
    '| route | req/s | p50 ms | p99 ms | of ceiling | non-2xx/errors |\n| --- | ---: | ---: | ---: | ---: | ---: |\n',
  );
  for (const row of rows) {
    process.stdout.write(
      `| ${row.name} | ${row.rps.toFixed(0)} | ${row.p50} | ${row.p99} | ${((row.rps / ceiling) * 100).toFixed(0)}% | ${row.errors} |\n`,
    );
  }
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'anima-bench-'));
try {
  await main(dataDir);
} finally {
  await Promise.all(children.map((child) => stopProcess(child)));
  fs.rmSync(dataDir, { recursive: true, force: true });
}
