import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyAddress, refusalOf } from '../../src/net/address-policy.js';

test('addresses are classified by the special-purpose registries', () => {
  const cases: Array<[string, string]> = [
    ['127.0.0.1', 'loopback'],
    ['127.9.9.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.20.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fd00::1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['8.8.8.8', 'public'],
    ['2606:4700::1111', 'public'],
    ['not-an-ip', 'reserved'],
  ];
  for (const [address, kind] of cases) assert.equal(classifyAddress(address), kind, address);
});

test('the policy refuses non-public addresses unless allowed', () => {
  const strict = { allowPrivate: false, allowHosts: [] };
  assert.equal(refusalOf(strict, 'example.com', '93.184.216.34'), undefined);
  assert.equal(refusalOf(strict, 'localhost', '127.0.0.1'), 'loopback');
  assert.equal(
    refusalOf({ allowPrivate: true, allowHosts: [] }, 'localhost', '127.0.0.1'),
    undefined,
  );
  assert.equal(
    refusalOf({ allowPrivate: false, allowHosts: ['nas.local'] }, 'NAS.local', '192.168.1.9'),
    undefined,
  );
  assert.equal(
    refusalOf({ allowPrivate: false, allowHosts: ['127.0.0.1'] }, '127.0.0.1', '127.0.0.1'),
    undefined,
  );
  assert.equal(
    refusalOf({ allowPrivate: false, allowHosts: ['127.0.0.1'] }, '127.0.0.2', '127.0.0.2'),
    'loopback',
  );
});
