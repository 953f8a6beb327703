import { describe, expect, it } from 'vitest';
import { cidrContains, ipv4ToNumber, numberToIpv4 } from './ipv4.ts';

describe('ipv4', () => {
  it('converts addresses to numbers and back', () => {
    expect(ipv4ToNumber('10.96.0.11')).toBe(10 * 2 ** 24 + 96 * 2 ** 16 + 11);
    expect(numberToIpv4(ipv4ToNumber('255.255.255.255')!)).toBe('255.255.255.255');
    expect(ipv4ToNumber('10.96.0')).toBeUndefined();
    expect(ipv4ToNumber('10.96.0.256')).toBeUndefined();
    expect(ipv4ToNumber('fe80::1')).toBeUndefined();
  });

  it('tells whether a CIDR holds an address', () => {
    expect(cidrContains('10.100.3.0/24', '10.100.3.77')).toBe(true);
    expect(cidrContains('10.100.3.0/24', '10.100.4.1')).toBe(false);
    expect(cidrContains('10.96.0.0/12', '10.111.255.254')).toBe(true);
    expect(cidrContains('nonsense', '10.0.0.1')).toBe(false);
  });
});
