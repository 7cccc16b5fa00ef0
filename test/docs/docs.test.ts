import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { renderOpenApi } from '../../src/docs/openapi.js';
import { renderConfigTable, renderErrorDocs } from '../../src/docs/render.js';
import { replaceBetweenMarkers } from '../../src/docs/write-docs.js';
import { errorCatalog } from '../../src/errors/catalog.js';
import { packageRoot } from '../../src/util/paths.js';

const read = (file: string) => fs.readFileSync(path.join(packageRoot, file), 'utf8');
const stale = 'is stale: run `npm run docs` and commit the result';

test('the FAQ messages are in the catalog word for word', () => {
  const messages = Object.values(errorCatalog).map((entry) => entry.message);
  for (const faq of [
    '请求参数为空或格式错误,请检查',
    'digital role model must must be in zip format and contain assets and models resources',
    'FfmpegTask: no pcm sound. taskId:{taskId}',
    'engine status error: failed, backend buffer size is too long',
    '[worker2d] FfmpegTask: process image info failed: output fps must be smaller than input fps.',
    'LiveStream:parse scenelist failed.pass video json to live?',
    'task is failed in stage: label',
  ]) {
    assert.ok(messages.includes(faq), faq);
  }
  assert.ok(messages.some((m) => m.endsWith('Frame Index :{frame} find 0 faces!')));
  assert.ok(messages.some((m) => m.endsWith('video_summary or audio_summary not exit')));
  assert.equal(errorCatalog.badParams.code, 3333);
});

test('catalog codes are unique and every entry has a fix', () => {
  const codes = Object.values(errorCatalog).map((entry) => entry.code);
  assert.equal(new Set(codes).size, codes.length);
  for (const [key, entry] of Object.entries(errorCatalog)) assert.ok(entry.fix.length > 10, key);
});

test(`docs/errors.md ${stale}`, () => {
  assert.equal(read('docs/errors.md'), renderErrorDocs());
});

test(`the README configuration table ${stale}`, () => {
  const readme = read('README.md');
  assert.equal(readme, replaceBetweenMarkers(readme, renderConfigTable()));
});

test(`docs/openapi.json ${stale}`, async () => {
  assert.equal(read('docs/openapi.json'), await renderOpenApi());
});
