import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  hlsCacheControl,
  hlsContentType,
  hlsFileKind,
  withToken,
} from '../../src/live/hls-serve.js';

test('only the playlist, the init segment and media segments may be served', () => {
  assert.equal(hlsFileKind('index.m3u8'), 'playlist');
  assert.equal(hlsFileKind('init.mp4'), 'init');
  assert.equal(hlsFileKind('seg-00000.m4s'), 'segment');
  assert.equal(hlsFileKind('seg-1234567.m4s'), 'segment');
  for (const name of [
    'index.m3u8.tmp',
    'seg-00001.m4s.tmp',
    '../index.m3u8',
    '..',
    'seg-../../etc/passwd',
    'seg-0001.m4s',
    'seg-00001.m4s/',
    'sub/seg-00001.m4s',
    'seg-00001.mp4',
    'SEG-00001.M4S',
    'out.ts',
    '',
    'seg-00001.m4s\n',
  ]) {
    assert.equal(hlsFileKind(name), undefined, JSON.stringify(name));
  }
});

test('each kind has its content type and caching', () => {
  assert.equal(hlsContentType('playlist'), 'application/vnd.apple.mpegurl');
  assert.equal(hlsContentType('init'), 'video/mp4');
  assert.equal(hlsContentType('segment'), 'video/iso.segment');
  assert.equal(hlsCacheControl('playlist'), 'no-cache');
  assert.equal(hlsCacheControl('segment'), 'max-age=60');
});

test('the token is added to every URI of the playlist, and to nothing else', () => {
  const playlist = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    '#EXT-X-TARGETDURATION:1',
    '#EXT-X-MEDIA-SEQUENCE:4',
    '#EXT-X-MAP:URI="init.mp4"',
    '#EXTINF:1.000000,',
    'seg-00004.m4s',
    '#EXTINF:1.000000,',
    'seg-00005.m4s?x=1\r',
    '',
  ].join('\n');
  assert.equal(
    withToken(playlist, 'a b&c'),
    [
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-TARGETDURATION:1',
      '#EXT-X-MEDIA-SEQUENCE:4',
      '#EXT-X-MAP:URI="init.mp4?token=a%20b%26c"',
      '#EXTINF:1.000000,',
      'seg-00004.m4s?token=a%20b%26c',
      '#EXTINF:1.000000,',
      'seg-00005.m4s?x=1&token=a%20b%26c\r',
      '',
    ].join('\n'),
  );
});
