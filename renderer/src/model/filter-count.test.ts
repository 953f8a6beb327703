import { describe, expect, it } from 'vitest';
import { parseLabelSelector } from '../../../core/api/label-selector.ts';
import type { KubeObject } from '../../../core/api/kube-object.ts';
import { countFilterMatches } from './filter-count.ts';

const obj = (kind: string, name: string, labels?: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind, metadata: { name, namespace: 'default', labels } });

describe('filter count', () => {
  const pods = [obj('Pod', 'a', { tier: 'web' }), obj('Pod', 'b', { tier: 'web', canary: 'true' }), obj('Pod', 'c', { tier: 'api' }), obj('Pod', 'd')];
  const deployments = [obj('Deployment', 'web', { tier: 'web' }), obj('Deployment', 'api', { tier: 'api' })];
  const replicasets = [obj('ReplicaSet', 'web-1', { tier: 'web' })];
  const jobs = [obj('Job', 'batch')];

  it('counts pods and workloads that the selector matches by their own labels', () => {
    const selector = parseLabelSelector('tier in (web),!canary');
    expect(countFilterMatches((labels) => selector.matches(labels), pods, [deployments, replicasets, jobs])).toEqual({ pods: 1, workloads: 2 });
  });

  it('counts everything when the selector is empty', () => {
    expect(countFilterMatches(() => true, pods, [deployments, replicasets, jobs])).toEqual({ pods: 4, workloads: 4 });
  });
});
