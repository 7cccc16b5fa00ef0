import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/util/paths.js';
import { tempDir } from '../helpers/harness.js';

function anima(args: string[], env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, [path.join(packageRoot, 'bin/anima.js'), ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

test('anima app create, list and revoke work on a data directory', () => {
  const data = tempDir('anima-cli-');
  const given = anima([
    'app',
    'create',
    '--data',
    data,
    '--name',
    'shop',
    '--app-id',
    'c103af9ac77646ca9fb0122e75f30811',
    '--app-key',
    '89f81a207e5e4a1297ed1255879191ee',
  ]);
  assert.equal(given.code, 0, given.stderr);
  assert.deepEqual(JSON.parse(given.stdout), {
    appId: 'c103af9ac77646ca9fb0122e75f30811',
    appKey: '89f81a207e5e4a1297ed1255879191ee',
    name: 'shop',
    callbackUrl: null,
  });
  const generated = JSON.parse(anima(['app', 'create', '--data', data]).stdout) as {
    appId: string;
    appKey: string;
  };
  assert.match(generated.appId, /^[0-9a-f]{32}$/);
  assert.match(generated.appKey, /^[0-9a-f]{32}$/);
  const listed = JSON.parse(anima(['app', 'list', '--data', data]).stdout) as Array<{
    appId: string;
    revoked: boolean;
  }>;
  assert.equal(listed.length, 2);
  assert.ok(
    listed.every((app) => !('appKey' in app)),
    'list does not print keys',
  );
  assert.equal(anima(['app', 'revoke', generated.appId, '--data', data]).code, 0);
  const after = JSON.parse(anima(['app', 'list', '--data', data]).stdout) as Array<{
    appId: string;
    revoked: boolean;
  }>;
  assert.equal(after.find((app) => app.appId === generated.appId)?.revoked, true);
  const again = anima(['app', 'revoke', generated.appId, '--data', data]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /no active app/);
  const duplicate = anima([
    'app',
    'create',
    '--data',
    data,
    '--app-id',
    'c103af9ac77646ca9fb0122e75f30811',
    '--app-key',
    'x'.repeat(32),
  ]);
  assert.equal(duplicate.code, 1);
  assert.match(duplicate.stderr, /already exists/);
});

test('anima serve reports every bad setting at once and exits', () => {
  const run = anima(['serve', '--port', 'eighty'], {
    ANIMA_RETENTION_DAYS: '0',
    ANIMA_LOG_LEVEL: 'loud',
  });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /--port \(port\): expected a whole number/);
  assert.match(run.stderr, /ANIMA_RETENTION_DAYS \(fileRetentionDays\): must be at least 1/);
  assert.match(run.stderr, /ANIMA_LOG_LEVEL/);
});

test('an unknown command prints the usage', () => {
  const run = anima(['dance']);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /unknown command "dance"/);
  assert.match(run.stderr, /anima serve/);
});

test('an app callback URL the server would not call is refused when the app is made', () => {
  const data = tempDir('anima-cli-');
  const create = (url: string, env: Record<string, string> = {}) =>
    anima(['app', 'create', '--data', data, '--callback-url', url], env);
  const loopback = create('http://127.0.0.1:8080/hook');
  assert.equal(loopback.code, 1);
  assert.match(
    loopback.stderr,
    /--callback-url: URL http:\/\/127\.0\.0\.1:8080\/hook points to a loopback address/,
  );
  const scheme = create('ftp://hooks.example.com/in');
  assert.equal(scheme.code, 1);
  assert.match(
    scheme.stderr,
    /--callback-url: URL ftp:\/\/hooks\.example\.com\/in is not a valid http or https URL/,
  );
  assert.deepEqual(
    JSON.parse(anima(['app', 'list', '--data', data]).stdout),
    [],
    'no app was made',
  );
  // The operator's policy is the one delivery applies: allowing private addresses allows it here.
  const allowed = create('http://127.0.0.1:8080/hook', { ANIMA_FETCH_ALLOW_PRIVATE: 'true' });
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.equal(JSON.parse(allowed.stdout).callbackUrl, 'http://127.0.0.1:8080/hook');
});
