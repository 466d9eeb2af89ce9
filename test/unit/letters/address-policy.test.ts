import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLoopback, isPublicAddress } from '../../../functions/adapters/http/address-policy.js';

describe("the prober's address policy (deployed)", () => {
  it.each([
    '127.0.0.1',
    '127.255.0.1',
    '10.0.0.1',
    '172.16.5.4',
    '172.31.255.255',
    '192.168.0.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '192.0.2.1',
    '198.18.0.1',
    '::1',
    '::',
    'fe80::1',
    'fd00:ec2::254',
    'fc00::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:169.254.169.254',
    '::ffff:7f00:1',
    '::127.0.0.1',
    '64:ff9b::a9fe:a9fe',
    '2002:7f00:0001::1',
    '2001:0:4136:e378::1',
    '2001:db8::1',
  ])('refuses %s', (ip) => expect(isPublicAddress(ip)).toBe(false));

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '2a00:1450:4001:80b::200e'])('allows %s', (ip) => expect(isPublicAddress(ip)).toBe(true));

  it('refuses anything that is not an IP address', () => {
    for (const s of ['localhost', 'example.org', '', '1.2.3', '::g']) expect(isPublicAddress(s)).toBe(false);
  });

  it('property: every 10/8, 127/8, 192.168/16 and 169.254/16 address is refused, also IPv6-mapped', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(fc.constantFrom('10', '127', '192.168', '169.254'), octet, octet, octet, (prefix, a, b, c) => {
        const ip = [prefix, a, b, c].join('.').split('.').slice(0, 4).join('.');
        expect(isPublicAddress(ip)).toBe(false);
        expect(isPublicAddress(`::ffff:${ip}`)).toBe(false);
      }),
    );
  });

  it('property: an IPv4 address and its IPv6-mapped form are judged alike', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        expect(isPublicAddress(`::ffff:${ip}`)).toBe(isPublicAddress(ip));
      }),
    );
  });

  it('knows loopback in both families', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('::ffff:127.0.0.2')).toBe(true);
    expect(isLoopback('10.0.0.1')).toBe(false);
  });
});
