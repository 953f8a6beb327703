// IPv4 addresses as numbers, for the address ranges Kubelab hands out (Service
// ClusterIPs, node pod CIDRs) and for finding which range holds an address.

/** The address as a 32-bit number; undefined when it is not a dotted-quad IPv4 address. */
export function ipv4ToNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, octet) => n * 256 + Number(octet), 0);
}

export function numberToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** True when `cidr` (`10.100.3.0/24`) holds `ip`. */
export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bits] = cidr.split('/');
  const start = ipv4ToNumber(base ?? '');
  const value = ipv4ToNumber(ip);
  if (start === undefined || value === undefined || bits === undefined) return false;
  return value >= start && value < start + 2 ** (32 - Number(bits));
}
