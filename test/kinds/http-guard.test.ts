// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { httpKind } from '../../src/kinds/http.ts';
import { AddressPolicy, internalRange } from '../../src/kinds/http-guard.ts';
import { configIssues, parseConfig } from './harness.ts';

describe('internalRange', () => {
  it('classifies internal IPv4 and IPv6 addresses', () => {
    const expected: [string, string][] = [
      ['127.0.0.1', 'loopback'],
      ['10.1.2.3', 'private'],
      ['172.16.0.1', 'private'],
      ['192.168.1.1', 'private'],
      ['169.254.169.254', 'linkLocal'],
      ['100.64.0.1', 'carrierGradeNat'],
      ['224.0.0.1', 'multicast'],
      ['0.0.0.0', 'unspecified'],
      ['255.255.255.255', 'broadcast'],
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fe80::1', 'linkLocal'],
      ['fd00::1', 'uniqueLocal'],
      ['ff02::1', 'multicast'],
      ['::ffff:10.0.0.1', 'private'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['64:ff9b::a00:1', 'private'],
      ['2002:7f00:1::', 'loopback'],
      ['::7f00:1', 'ipv4Compatible'],
    ];
    for (const [address, range] of expected) assert.equal(internalRange(address), range, address);
  });

  it('lets public unicast addresses through', () => {
    for (const address of [
      '8.8.8.8',
      '93.184.216.34',
      '2606:4700::1111',
      '::ffff:8.8.8.8',
      '64:ff9b::808:808',
    ]) {
      assert.equal(internalRange(address), undefined, address);
    }
  });
});

describe('AddressPolicy', () => {
  it('allows exact hosts, *.suffix wildcards, IPs and CIDR ranges', () => {
    const policy = new AddressPolicy(['Internal.Example', '*.svc.local', '10.0.0.0/8', '::1', '[fd00::5]']);
    assert.equal(policy.check('internal.example.', '10.9.9.9'), undefined);
    assert.equal(policy.check('api.svc.local', '192.168.0.1'), undefined);
    assert.equal(policy.check('other', '10.20.30.40'), undefined);
    assert.equal(policy.check('::1', '::1'), undefined);
    assert.equal(policy.check('x', '::ffff:10.0.0.1'), undefined);
    assert.equal(policy.check('fd00::5', 'fd00::5'), undefined);
    assert.equal(policy.check('example.com', '93.184.216.34'), undefined);
    const refusal = policy.check('evil.example', '192.168.0.1');
    assert.equal(refusal?.code, 'HTTP_ADDRESS_BLOCKED');
    assert.match(
      refusal?.message ?? '',
      /192\.168\.0\.1 \(resolved from "evil\.example"\) is a private address/,
    );
    assert.deepEqual(refusal?.details, { host: 'evil.example', address: '192.168.0.1', range: 'private' });
    assert.ok(policy.check('svc.local', '192.168.0.1'), 'a wildcard does not match the bare suffix');
  });
});

describe('http kind schema', () => {
  it('normalises defaults and upper-cases the method', () => {
    assert.deepEqual(
      parseConfig(httpKind, {
        url: 'https://api.example.com',
        method: 'post',
        timeout: '10s',
        body: { a: 1 },
      }),
      {
        url: 'https://api.example.com',
        method: 'POST',
        timeout: 10_000,
        body: { a: 1 },
        responseType: 'auto',
        idempotencyKey: true,
      },
    );
  });

  it('rejects unknown keys, bad methods, bodies on GET, bad literal URLs and bad header names', () => {
    assert.match(configIssues(httpKind, { url: 'https://x.test', header: {} }).join(), /header/);
    assert.notEqual(configIssues(httpKind, { url: 'https://x.test', method: 'FETCH' }).length, 0);
    assert.match(
      configIssues(httpKind, { url: 'https://x.test', body: 'x' }).join(),
      /body: a GET request cannot have a body/,
    );
    assert.match(configIssues(httpKind, { url: 'ftp://x.test' }).join(), /only http: and https:/);
    assert.match(configIssues(httpKind, { url: 'x.test/path' }).join(), /not an absolute URL/);
    assert.notEqual(
      configIssues(httpKind, { url: 'https://x.test', headers: { 'bad header': 'x' } }).length,
      0,
    );
    assert.notEqual(configIssues(httpKind, { url: 'https://x.test', allowStatus: [700] }).length, 0);
    assert.notEqual(configIssues(httpKind, { method: 'GET' }).length, 0);
    assert.deepEqual(configIssues(httpKind, { url: '${{ inputs.endpoint }}/items' }), []);
  });
});
