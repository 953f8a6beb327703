import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { bridgeAddress, firstHostAddress, ipamGateway, type BridgeNetwork } from './bridge-address.ts';

// `docker network inspect bridge` as Debian's docker.io 20.10.24 reports it: no Gateway.
const debianBridge: BridgeNetwork = {
  IPAM: { Config: [{ Subnet: '172.17.0.0/16' }] },
  Options: { 'com.docker.network.bridge.name': 'docker0', 'com.docker.network.bridge.default_bridge': 'true' },
};

function ipv4(address: string, cidrBits = 16): NetworkInterfaceInfo {
  return { address, netmask: '255.255.0.0', family: 'IPv4', mac: '02:42:00:00:00:00', internal: false, cidr: `${address}/${cidrBits}` };
}
const ipv6 = (address: string): NetworkInterfaceInfo => ({ address, netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:42:00:00:00:00', internal: false, cidr: `${address}/64`, scopeid: 0 });

describe('bridgeAddress', () => {
  it('takes the IPAM gateway when Docker recorded one, over every other fact', () => {
    const network: BridgeNetwork = { ...debianBridge, IPAM: { Config: [{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.254' }] } };
    expect(bridgeAddress(network, { containerGateway: '172.17.0.9', localInterfaces: { docker0: [ipv4('172.17.0.8')] } })).toBe('172.17.0.254');
    expect(ipamGateway(network)).toBe('172.17.0.254');
  });

  it('prefers an IPv4 IPAM gateway on a dual-stack network', () => {
    const network: BridgeNetwork = { IPAM: { Config: [{ Subnet: 'fd00:1::/64', Gateway: 'fd00:1::1' }, { Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }] } };
    expect(bridgeAddress(network)).toBe('172.17.0.1');
  });

  it('without an IPAM gateway, takes the gateway an attached container sees', () => {
    expect(ipamGateway(debianBridge)).toBeUndefined();
    expect(bridgeAddress(debianBridge, { containerGateway: '172.17.0.5', localInterfaces: { docker0: [ipv4('172.17.0.1')] } })).toBe('172.17.0.5');
  });

  it('ignores a container gateway that is not IPv4 or lies outside the subnet', () => {
    expect(bridgeAddress(debianBridge, { containerGateway: '' })).toBe('172.17.0.1');
    expect(bridgeAddress(debianBridge, { containerGateway: 'fe80::1' })).toBe('172.17.0.1');
    expect(bridgeAddress(debianBridge, { containerGateway: '10.0.0.1' })).toBe('172.17.0.1');
    // With no IPv4 subnet to check against, the container's word stands.
    expect(bridgeAddress({ IPAM: { Config: [] } }, { containerGateway: '10.0.0.1' })).toBe('10.0.0.1');
  });

  it("then the local bridge interface's IPv4 address inside the subnet", () => {
    const localInterfaces = { eth0: [ipv4('192.0.2.2', 24)], docker0: [ipv6('fe80::42:1'), ipv4('172.17.42.1')] };
    expect(bridgeAddress(debianBridge, { localInterfaces })).toBe('172.17.42.1');
  });

  it('skips the interface when it is missing, not the named bridge, outside the subnet, or there is no IPv4 subnet', () => {
    // Missing: Node lists an interface only while it is up and running (docker0 with no container is not).
    expect(bridgeAddress(debianBridge, { localInterfaces: { eth0: [ipv4('192.0.2.2', 24)] } })).toBe('172.17.0.1');
    // Another daemon's docker0 (a VM's, another namespace's) on another subnet.
    expect(bridgeAddress(debianBridge, { localInterfaces: { docker0: [ipv4('172.18.0.1'), ipv6('fe80::42:1')] } })).toBe('172.17.0.1');
    // The network names another interface.
    const renamed: BridgeNetwork = { ...debianBridge, Options: { 'com.docker.network.bridge.name': 'br-kube' } };
    expect(bridgeAddress(renamed, { localInterfaces: { docker0: [ipv4('172.17.42.1')] } })).toBe('172.17.0.1');
    expect(bridgeAddress({ ...debianBridge, Options: null }, { localInterfaces: { docker0: [ipv4('172.17.42.1')] } })).toBe('172.17.0.1');
    // No IPv4 subnet: nothing to check the interface against.
    const v6Only: BridgeNetwork = { ...debianBridge, IPAM: { Config: [{ Subnet: 'fd00:1::/64' }] } };
    expect(bridgeAddress(v6Only, { localInterfaces: { docker0: [ipv4('172.17.42.1')] } })).toBeUndefined();
  });

  it("last, the subnet's first host address, only for an IPv4 subnet", () => {
    expect(bridgeAddress(debianBridge)).toBe('172.17.0.1');
    expect(bridgeAddress({ IPAM: { Config: [{ Subnet: 'fd00:1::/64' }, { Subnet: '10.20.30.0/24' }] } })).toBe('10.20.30.1');
    expect(bridgeAddress({ IPAM: { Config: [{ Subnet: 'fd00:1::/64' }] } })).toBeUndefined();
  });

  it('keeps the IPv6 IPAM gateway of an IPv6-only network as the answer of last resort', () => {
    expect(bridgeAddress({ IPAM: { Config: [{ Subnet: 'fd00:1::/64', Gateway: 'fd00:1::1' }] } })).toBe('fd00:1::1');
  });

  it('answers nothing for a network without IPAM config', () => {
    expect(bridgeAddress({})).toBeUndefined();
    expect(bridgeAddress({ IPAM: null })).toBeUndefined();
    expect(bridgeAddress({ IPAM: { Config: null } })).toBeUndefined();
  });
});

describe('firstHostAddress', () => {
  it('is the address after the network address, with host bits of the base cleared', () => {
    expect(firstHostAddress('172.17.0.0/16')).toBe('172.17.0.1');
    expect(firstHostAddress('10.20.30.0/24')).toBe('10.20.30.1');
    expect(firstHostAddress('10.20.30.77/24')).toBe('10.20.30.1');
    expect(firstHostAddress('192.168.255.0/23')).toBe('192.168.254.1');
    expect(firstHostAddress('0.0.0.0/0')).toBe('0.0.0.1');
    expect(firstHostAddress('10.0.0.4/30')).toBe('10.0.0.5');
  });

  it('is undefined for IPv6, malformed subnets, and /31 or /32 (no room for a bridge and hosts)', () => {
    expect(firstHostAddress('fd00:1::/64')).toBeUndefined();
    expect(firstHostAddress('172.17.0.0')).toBeUndefined();
    expect(firstHostAddress('172.17.0.0/')).toBeUndefined();
    expect(firstHostAddress('172.17.0.0/33')).toBeUndefined();
    expect(firstHostAddress('172.17.0.0/16/1')).toBeUndefined();
    expect(firstHostAddress('172.17.0/16')).toBeUndefined();
    expect(firstHostAddress('10.0.0.0/31')).toBeUndefined();
    expect(firstHostAddress('10.0.0.1/32')).toBeUndefined();
  });
});
