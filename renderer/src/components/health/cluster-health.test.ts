import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { clusterHealth } from './cluster-health.ts';

const node = (ready: boolean): Node => ({ status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } });
const runningPod: Pod = { spec: { nodeName: 'a', containers: [] }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } };
const crashingPod: Pod = { spec: { nodeName: 'a', containers: [] }, status: { phase: 'Running', containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }] } };

describe('cluster health', () => {
  it('is healthy when every node is ready, no pod is failing and workloads are at their count', () => {
    const health = clusterHealth({ nodes: [node(true)], pods: [runningPod], deployments: [{ spec: { replicas: 1, selector: {}, template: {} }, status: { readyReplicas: 1 } }], replicasets: [], daemonsets: [] });
    expect(health).toEqual({ nodes: { ready: 1, total: 1 }, pods: { running: 1 }, workloadsBehind: 0, unhealthy: false });
  });

  it('counts not-ready nodes, crashing pods and workloads below their desired count, ignoring a Deployment’s own ReplicaSets', () => {
    const health = clusterHealth({
      nodes: [node(true), node(false)],
      pods: [runningPod, crashingPod],
      deployments: [{ spec: { replicas: 3, selector: {}, template: {} }, status: { readyReplicas: 2 } }],
      replicasets: [{ metadata: { ownerReferences: [{ kind: 'Deployment', name: 'd', apiVersion: 'apps/v1', uid: 'u' }] }, spec: { replicas: 3, selector: {} }, status: { replicas: 2, readyReplicas: 2 } }],
      daemonsets: [{ status: { desiredNumberScheduled: 2, numberReady: 2, currentNumberScheduled: 2, numberMisscheduled: 0 } }],
    });
    expect(health).toMatchObject({ nodes: { ready: 1, total: 2 }, pods: { running: 1, crashloop: 1 }, workloadsBehind: 1, unhealthy: true });
  });
});
