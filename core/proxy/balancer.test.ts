import { describe, it, expect } from 'vitest';
import { LoadBalancer, type AffinityPolicy } from './balancer.ts';
import type { Backend } from './mux-protocol.ts';

const a: Backend = { ip: '10.100.0.2', port: 80, node: 'n1' };
const b: Backend = { ip: '10.100.0.3', port: 80, node: 'n1' };
const c: Backend = { ip: '10.100.1.2', port: 80, node: 'n2' };
const roundRobin: AffinityPolicy = { sessionAffinity: 'None', affinityTimeoutSeconds: 10800 };
const clientIp: AffinityPolicy = { sessionAffinity: 'ClientIP', affinityTimeoutSeconds: 60 };

describe('LoadBalancer', () => {
  it('takes the ready backends in turn', () => {
    const balancer = new LoadBalancer();
    const picks = Array.from({ length: 6 }, () => balancer.pick('default/web:80', [a, b, c], roundRobin, '10.100.0.9'));
    expect(picks).toEqual([a, b, c, a, b, c]);
  });

  it('keeps a separate turn per service port', () => {
    const balancer = new LoadBalancer();
    expect(balancer.pick('default/web:80', [a, b], roundRobin, 'x')).toBe(a);
    expect(balancer.pick('default/api:80', [a, b], roundRobin, 'x')).toBe(a);
    expect(balancer.pick('default/web:80', [a, b], roundRobin, 'x')).toBe(b);
  });

  it('answers undefined without backends', () => {
    expect(new LoadBalancer().pick('default/web:80', [], roundRobin, 'x')).toBeUndefined();
  });

  it('still spreads when the backend list shrinks', () => {
    const balancer = new LoadBalancer();
    balancer.pick('k', [a, b, c], roundRobin, 'x');
    balancer.pick('k', [a, b, c], roundRobin, 'x');
    const picks = [balancer.pick('k', [a, b], roundRobin, 'x'), balancer.pick('k', [a, b], roundRobin, 'x')];
    expect(new Set(picks)).toEqual(new Set([a, b]));
  });

  it('keeps a client on one backend with ClientIP affinity, others still spread', () => {
    const balancer = new LoadBalancer(() => 0);
    const first = balancer.pick('k', [a, b, c], clientIp, '10.100.0.9');
    for (let i = 0; i < 5; i++) expect(balancer.pick('k', [a, b, c], clientIp, '10.100.0.9')).toBe(first);
    const other = balancer.pick('k', [a, b, c], clientIp, '10.100.0.10');
    expect(other).not.toBe(first);
  });

  it('lets a client move on after the affinity timeout of idleness, not before', () => {
    let now = 0;
    const balancer = new LoadBalancer(() => now);
    expect(balancer.pick('k', [a, b], clientIp, 'client')).toBe(a);
    now = 50_000;
    expect(balancer.pick('k', [a, b], clientIp, 'client')).toBe(a);
    now = 100_000; // 50 s after the last use: still sticky
    expect(balancer.pick('k', [a, b], clientIp, 'client')).toBe(a);
    now = 100_000 + 60_001;
    expect(balancer.pick('k', [a, b], clientIp, 'client')).toBe(b);
  });

  it('forgets affinity to a backend that vanished', () => {
    const balancer = new LoadBalancer(() => 0);
    expect(balancer.pick('k', [a, b], clientIp, 'client')).toBe(a);
    expect(balancer.pick('k', [b, c], clientIp, 'client')).not.toBe(a);
    const now = balancer.pick('k', [b, c], clientIp, 'client');
    // Back again, `a` doesn't win the client back: the new stickiness holds.
    expect(balancer.pick('k', [a, b, c], clientIp, 'client')).toBe(now);
  });

  it('drops affinity when the service switches to None', () => {
    const balancer = new LoadBalancer(() => 0);
    expect(balancer.pick('k', [a, b], clientIp, 'client')).toBe(a);
    expect(balancer.pick('k', [a, b], roundRobin, 'client')).toBe(b);
    expect(balancer.pick('k', [a, b], clientIp, 'client')).toBe(a);
    expect(balancer.pick('k', [a, b], clientIp, 'client')).toBe(a);
  });

  it('forgets service ports that left the configuration', () => {
    const balancer = new LoadBalancer(() => 0);
    expect(balancer.pick('k', [a, b], clientIp, 'client')).toBe(a);
    balancer.retainOnly(['other']);
    // Fresh state: the turn restarts at the first backend, no stickiness remains.
    expect(balancer.pick('k', [b, a], clientIp, 'client')).toBe(b);
  });
});
