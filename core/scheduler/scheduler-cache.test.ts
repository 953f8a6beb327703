import fc from 'fast-check';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { buildNodeInfos, type NodeInfo } from './node-info.ts';
import { imageStates } from './plugins/image-states.ts';
import { podKey, SchedulerCache } from './scheduler-cache.ts';
import { makeNode, makePod } from './test-fixtures.ts';

// The cache must always equal what a from-scratch rebuild gives: every node with its bound,
// unfinished pods plus the assumed pods the informer does not show bound yet.

const NODE_NAMES = ['a', 'b', 'c', 'd'];
const POD_NAMES = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'];

type Step =
  | { op: 'setNode'; name: string; cpu: string; image?: string }
  | { op: 'removeNode'; name: string }
  | { op: 'setPod'; name: string; node?: string; cpu: string; phase?: 'Running' | 'Succeeded' | 'Failed'; port?: number }
  | { op: 'removePod'; name: string }
  | { op: 'assume'; name: string; node: string }
  | { op: 'forget'; name: string }
  | { op: 'snapshot' }
  | { op: 'imageStates' };

const nodeName = fc.constantFrom(...NODE_NAMES);
// 'zz' is a node the cache never hears of: pods bound there count nowhere.
const podNode = fc.option(fc.constantFrom(...NODE_NAMES, 'zz'), { nil: undefined });
const podName = fc.constantFrom(...POD_NAMES);
const cpu = fc.constantFrom('100m', '250m', '1');

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record(
    { op: fc.constant('setNode' as const), name: nodeName, cpu: fc.constantFrom('2', '4'), image: fc.option(fc.constantFrom('app:1', 'db:2'), { nil: undefined }) },
    { requiredKeys: ['op', 'name', 'cpu'] },
  ),
  fc.record({ op: fc.constant('removeNode' as const), name: nodeName }),
  fc.record(
    {
      op: fc.constant('setPod' as const),
      name: podName,
      node: podNode,
      cpu,
      phase: fc.option(fc.constantFrom('Running' as const, 'Succeeded' as const, 'Failed' as const), { nil: undefined }),
      port: fc.option(fc.constantFrom(80, 443), { nil: undefined }),
    },
    { requiredKeys: ['op', 'name', 'cpu'] },
  ),
  fc.record({ op: fc.constant('removePod' as const), name: podName }),
  fc.record({ op: fc.constant('assume' as const), name: podName, node: nodeName }),
  fc.record({ op: fc.constant('forget' as const), name: podName }),
  fc.constant({ op: 'snapshot' as const }),
  fc.constant({ op: 'imageStates' as const }),
);

function podOf(s: Extract<Step, { op: 'setPod' }>): Pod {
  const pod = makePod(s.name, { cpu: s.cpu, nodeName: s.node, ...(s.port ? { container: { ports: [{ containerPort: s.port, hostPort: s.port }] } } : {}) });
  return s.phase ? { ...pod, status: { phase: s.phase } } : pod;
}

/** What the cache must match, computed the slow way from the model. */
function rebuild(nodes: Map<string, Node>, informerPods: Map<string, Pod>, assumed: Map<string, Pod>): NodeInfo[] {
  const pods = [...informerPods.values()].filter((pod) => pod.spec?.nodeName);
  for (const [key, pod] of assumed) if (!pods.some((p) => podKey(p) === key)) pods.push(pod);
  return buildNodeInfos([...nodes.values()], pods);
}

/** Pod order within a node is not part of the contract. */
function normalized(infos: readonly NodeInfo[]) {
  return infos.map((info) => ({
    ...info,
    pods: [...info.pods].sort((x, y) => podKey(x).localeCompare(podKey(y))),
    usedPorts: [...info.usedPorts].sort((x, y) => x.port - y.port),
  }));
}

describe('SchedulerCache', () => {
  it('equals a from-scratch rebuild (NodeInfos and image states) after any sequence of node, pod, assume and forget events', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const cache = new SchedulerCache();
        const nodes = new Map<string, Node>();
        const informerPods = new Map<string, Pod>();
        const assumed = new Map<string, Pod>();
        const handedOut: { snapshot: readonly NodeInfo[]; copy: unknown }[] = [];
        for (const s of steps) {
          switch (s.op) {
            case 'setNode':
              nodes.set(s.name, makeNode(s.name, { cpu: s.cpu, ...(s.image ? { images: [{ names: [s.image], sizeBytes: 100 * 1024 * 1024 }] } : {}) }));
              cache.setNode(nodes.get(s.name)!);
              break;
            case 'removeNode':
              nodes.delete(s.name);
              cache.removeNode(s.name);
              break;
            case 'setPod': {
              const pod = podOf(s);
              informerPods.set(podKey(pod), pod);
              // Seen bound (or finished): no longer assumed.
              if (pod.spec?.nodeName || s.phase === 'Succeeded' || s.phase === 'Failed') assumed.delete(podKey(pod));
              cache.setPod(pod);
              break;
            }
            case 'removePod': {
              const pod = makePod(s.name);
              informerPods.delete(podKey(pod));
              assumed.delete(podKey(pod));
              cache.removePod(pod);
              break;
            }
            case 'assume': {
              const pod = informerPods.get(`default/${s.name}`) ?? makePod(s.name, { cpu: '100m' });
              // The scheduler only assumes unbound, unfinished pods.
              if (pod.spec?.nodeName || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') break;
              assumed.set(podKey(pod), { ...pod, spec: { ...pod.spec!, nodeName: s.node } });
              cache.assumePod(pod, s.node);
              break;
            }
            case 'forget':
              assumed.delete(`default/${s.name}`);
              cache.forgetPod(`default/${s.name}`);
              break;
            case 'imageStates':
              cache.imageStates();
              break;
            case 'snapshot': {
              const snapshot = cache.snapshot();
              handedOut.push({ snapshot, copy: normalized(snapshot) });
              break;
            }
          }
          for (const name of POD_NAMES) expect(cache.isAssumed(`default/${name}`)).toBe(assumed.has(`default/${name}`));
        }
        expect(normalized(cache.snapshot())).toEqual(normalized(rebuild(nodes, informerPods, assumed)));
        expect(cache.imageStates()).toEqual(imageStates(rebuild(nodes, informerPods, assumed).map((info) => info.node)));
        // Copy-on-write: later events never change a snapshot already handed out.
        for (const { snapshot, copy } of handedOut) expect(normalized(snapshot)).toEqual(copy);
      }),
      { numRuns: 300 },
    );
  });

  it('hands out the same snapshot while nothing changed, and keeps unchanged NodeInfos', () => {
    const cache = new SchedulerCache();
    for (const name of NODE_NAMES) cache.setNode(makeNode(name));
    const first = cache.snapshot();
    expect(cache.snapshot()).toBe(first);
    cache.assumePod(makePod('p', { cpu: '1' }), 'b');
    const second = cache.snapshot();
    expect(second).not.toBe(first);
    expect(second.map((info) => info.name)).toEqual(NODE_NAMES);
    expect(second[0]).toBe(first[0]);
    expect(second[1].requested.milliCpu).toBe(1000);
    expect(first[1].requested.milliCpu).toBe(0);
  });

  it('keeps an assumed pod through updates of the still-unbound pod, until it is seen bound or forgotten', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('a'));
    const pod = makePod('p', { cpu: '1' });
    cache.setPod(pod);
    cache.assumePod(pod, 'a');
    cache.setPod({ ...pod, metadata: { ...pod.metadata, annotations: { note: 'our explanation' } } });
    expect(cache.isAssumed('default/p')).toBe(true);
    expect(cache.snapshot()[0].requested.milliCpu).toBe(1000);
    cache.forgetPod('default/p');
    expect(cache.snapshot()[0].pods).toHaveLength(0);
  });
});
