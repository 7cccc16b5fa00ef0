import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBearer, tokenFromHandshake } from '../../src/auth/bearer.js';
import { computeSign, parseTimestampMs, verifySign } from '../../src/auth/sign.js';

test('the FAQ worked example gives the FAQ sign', () => {
  const sign = computeSign(
    'c103af9ac77646ca9fb0122e75f30811',
    '1686730537',
    '89f81a207e5e4a1297ed1255879191ee',
  );
  assert.equal(sign, 'f6ffecf33d2073d9b3b93ba157665cfc');
  assert.ok(
    verifySign(
      'c103af9ac77646ca9fb0122e75f30811',
      '1686730537',
      '89f81a207e5e4a1297ed1255879191ee',
      'F6FFECF33D2073D9B3B93BA157665CFC',
    ),
  );
  assert.ok(
    !verifySign(
      'c103af9ac77646ca9fb0122e75f30811',
      '1686730538',
      '89f81a207e5e4a1297ed1255879191ee',
      sign,
    ),
  );
});

test('timestamps are read in seconds or milliseconds', () => {
  assert.equal(parseTimestampMs('1686730537'), 1686730537000);
  assert.equal(parseTimestampMs('1686730537123'), 1686730537123);
  assert.equal(parseTimestampMs('abc'), undefined);
  assert.equal(parseTimestampMs('12'), undefined);
});

test('a socket token comes from the header first, then from the URL query', () => {
  const url = '/api/voice/stream/v1?Authorization=Bearer%20fromurl&';
  assert.equal(tokenFromHandshake({ authorization: 'Bearer fromheader' }, url), 'fromheader');
  assert.equal(tokenFromHandshake({}, url), 'fromurl');
  assert.equal(
    tokenFromHandshake({}, '/api/voice/stream/v1?Authorization=Bearer fromurl&'),
    'fromurl',
  );
  assert.equal(tokenFromHandshake({}, '/api/voice/stream/v1'), undefined);
  assert.equal(tokenFromHandshake({ authorization: 'Basic abc' }, '/x'), undefined);
  assert.equal(tokenFromHandshake({ authorization: 'Bearer fromheader&' }, '/x'), 'fromheader');
  assert.equal(parseBearer('Bearer M2U&'), 'M2U', "the FAQ's header example");
  assert.equal(parseBearer('Bearer &'), undefined);
});
