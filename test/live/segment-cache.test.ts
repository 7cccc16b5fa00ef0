import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SegmentCache } from '../../src/live/segment-cache.js';

test('viewers asking for one segment at once share one fetch; the next viewer gets it kept', async () => {
  const cache = new SegmentCache<string>();
  let loads = 0;
  const load = async () => {
    loads += 1;
    await new Promise((resolve) => setTimeout(resolve, 20));
    return 'bytes';
  };
  const both = await Promise.all([cache.get('s/seg-1.m4s', load), cache.get('s/seg-1.m4s', load)]);
  assert.deepEqual(both, ['bytes', 'bytes']);
  assert.equal(await cache.get('s/seg-1.m4s', load), 'bytes');
  assert.equal(loads, 1);
});

test('a failed fetch is not kept; old entries and those beyond the bound go', async () => {
  let now = 0;
  const cache = new SegmentCache<number>(2, 1000, () => now);
  await assert.rejects(cache.get('a', () => Promise.reject(new Error('gone'))));
  assert.equal(await cache.get('a', () => Promise.resolve(1)), 1, 'asked again after a failure');
  await cache.get('b', () => Promise.resolve(2));
  await cache.get('c', () => Promise.resolve(3));
  assert.equal(cache.size, 2, 'the oldest went');
  assert.equal(await cache.get('a', () => Promise.resolve(10)), 10, 'a was the oldest');
  now = 1001;
  assert.equal(await cache.get('c', () => Promise.resolve(30)), 30, 'too old: fetched again');
});
