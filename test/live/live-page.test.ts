import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderLivePage, scriptJson } from '../../src/live/live-page.js';

const hostile = { sessionId: 'id</script><script>alert(1)</script>', token: 't\u2028"</SCRIPT>' };

test('the id and token are data in the script: nothing in them can close the element', () => {
  const page = renderLivePage(hostile);
  assert.equal(page.match(/<script\b/gi)?.length, 1);
  assert.equal(page.match(/<\/script/gi)?.length, 1);
  const config = /const config = (.*);\n/.exec(page)?.[1] ?? '';
  assert.deepEqual(JSON.parse(config), hostile);
  assert.equal(scriptJson('</script>'), '"\\u003c/script>"');
});

test('the page is self-contained and inserts text only as text', () => {
  const page = renderLivePage({ sessionId: 's1', token: 't' });
  assert.doesNotMatch(page, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  assert.doesNotMatch(page, /https?:\/\//, 'no CDN, no absolute address');
  assert.doesNotMatch(page, /<(link|img|iframe)\b/);
  assert.match(page, /<video id="video" autoplay muted playsinline>/);
  for (const route of [
    "'/whep'",
    "'/live/assets/hls.min.js'",
    "'/hls/index.m3u8?token='",
    "'/api/2dvh/v1/material/live/channel/query?sessionId='",
    "'/api/2dvh/v1/material/live/channel/push'",
  ]) {
    assert.ok(page.includes(route), route);
  }
});
