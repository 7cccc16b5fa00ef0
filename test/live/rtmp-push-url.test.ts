import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maxPushUrlLength, validatePushUrl } from '../../src/live/rtmp-relay.js';

test('rtmp:// and rtmps:// URLs with a host, an application and a key pass', () => {
  for (const url of [
    'rtmp://a.rtmp.youtube.com/live2/abcd-efgh',
    'rtmps://live-api-s.facebook.com:443/rtmp/FB-123',
    'rtmp://127.0.0.1:1935/live/key',
  ]) {
    assert.deepEqual(validatePushUrl(url), { ok: true, url });
  }
  assert.deepEqual(validatePushUrl('  rtmp://h/app/k '), { ok: true, url: 'rtmp://h/app/k' });
});

test('anything else is refused, saying what is wrong', () => {
  const cases: [unknown, RegExp][] = [
    [undefined, /empty/],
    ['', /empty/],
    [42, /empty/],
    ['notaurl', /not a URL/],
    ['http://example.com/live/key', /rtmp:\/\/ or rtmps:\/\/, not http:/],
    ['file:///etc/passwd', /not file:/],
    ['rtmp:///live/key', /(no host|not a URL)/],
    ['rtmp://host', /application and a stream key/],
    ['rtmp://host/live', /application and a stream key/],
    ['rtmp://host/live/key live=1', /spaces or control/],
    ['rtmp://host/live/key\nx', /spaces or control/],
    [`rtmp://host/live/${'k'.repeat(maxPushUrlLength)}`, /longer than 1024/],
  ];
  for (const [input, problem] of cases) {
    const check = validatePushUrl(input);
    assert.equal(check.ok, false, String(input));
    if (!check.ok) assert.match(check.problem, problem, String(input));
  }
});
