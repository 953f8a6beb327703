import { describe, expect, it } from 'vitest';
import { ControllerExpectations, EXPECTATIONS_TIMEOUT_MS, podFromTemplate, slowStartBatch } from './pod-control.ts';

describe('ControllerExpectations', () => {
  it('holds a key until every expected create and delete is observed', () => {
    const expectations = new ControllerExpectations();
    expect(expectations.satisfied('ns/web')).toBe(true);
    expectations.expectCreations('ns/web', 2);
    expect(expectations.satisfied('ns/web')).toBe(false);
    expectations.creationObserved('ns/web');
    expect(expectations.satisfied('ns/web')).toBe(false);
    expectations.creationObserved('ns/web');
    expect(expectations.satisfied('ns/web')).toBe(true);
    expectations.expectDeletions('ns/web', ['ns/a', 'ns/b']);
    expectations.deletionObserved('ns/web', 'ns/a');
    expectations.deletionObserved('ns/web', 'ns/a');
    expect(expectations.satisfied('ns/web')).toBe(false);
    expectations.deletionObserved('ns/web', 'ns/b');
    expect(expectations.satisfied('ns/web')).toBe(true);
  });

  it('gives up waiting after the expectations timeout', () => {
    let now = 0;
    const expectations = new ControllerExpectations(() => now);
    expectations.expectCreations('ns/web', 1);
    now = EXPECTATIONS_TIMEOUT_MS;
    expect(expectations.satisfied('ns/web')).toBe(false);
    now = EXPECTATIONS_TIMEOUT_MS + 1;
    expect(expectations.satisfied('ns/web')).toBe(true);
  });
});

describe('slowStartBatch', () => {
  it('runs batches of 1, 2, 4, 8... and stops after the first failing batch', async () => {
    const startedPerTurn: number[] = [];
    let calls = 0;
    let turn = -1;
    const result = await slowStartBatch(20, 1, async () => {
      const call = ++calls;
      // Calls of one batch start together, before any of them resolves.
      if (startedPerTurn.length === 0 || turn !== startedPerTurn.length) startedPerTurn.push(0);
      turn = startedPerTurn.length;
      startedPerTurn[startedPerTurn.length - 1]++;
      await Promise.resolve();
      turn = -1;
      if (call === 5) throw new Error('quota exceeded');
    });
    expect(startedPerTurn).toEqual([1, 2, 4]); // nothing after the failing batch
    expect(result.successes).toBe(6);
    expect(String(result.error)).toMatch(/quota/);
  });

  it('runs every batch when nothing fails', async () => {
    let calls = 0;
    expect(await slowStartBatch(20, 1, async () => void calls++)).toEqual({ successes: 20 });
    expect(calls).toBe(20);
  });
});

describe('podFromTemplate', () => {
  it('names pods `<owner>-`, copies labels and annotations, and sets the controller reference', () => {
    const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-abc', namespace: 'ns', uid: 'u1' } };
    const pod = podFromTemplate({ metadata: { labels: { app: 'web' }, annotations: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } }, owner);
    expect(pod.metadata).toEqual({
      namespace: 'ns',
      generateName: 'web-abc-',
      labels: { app: 'web' },
      annotations: { a: 'b' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'u1', controller: true, blockOwnerDeletion: true }],
    });
  });
});
