import { describe, expect, it } from 'vitest';
import { unresolvable, unschedulable } from './framework.ts';
import { fitErrorMessage, reasonHistogram } from './failure-message.ts';
import { makePod } from './test-fixtures.ts';

describe('fitErrorMessage', () => {
  it('counts reasons, sorts them like Go and adds the preemption verdict per node', () => {
    const statuses = [
      unschedulable('Insufficient cpu'),
      unresolvable('node(s) had untolerated taint {lab: x}'),
      unresolvable('node(s) had untolerated taint {lab: x}'),
    ];
    expect(fitErrorMessage(makePod('p'), 3, statuses)).toBe(
      '0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {lab: x}. ' +
        'preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.',
    );
  });

  it('counts every reason of a node (cpu and memory both short)', () => {
    expect(fitErrorMessage(makePod('p'), 1, [unschedulable('Insufficient cpu', 'Insufficient memory')])).toBe(
      '0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    );
  });

  it('sorts by the whole "count reason" string, as sort.Strings does', () => {
    const reasons = [...Array(10).fill('node(s) were unschedulable'), 'Too many pods', 'Too many pods'];
    expect(reasonHistogram(reasons)).toEqual(['10 node(s) were unschedulable', '2 Too many pods']);
  });

  it('reports pods that may not preempt', () => {
    const pod = makePod('p', { spec: { preemptionPolicy: 'Never' } });
    expect(fitErrorMessage(pod, 1, [unschedulable('Too many pods')])).toBe('0/1 nodes are available: 1 Too many pods. preemption: not eligible due to preemptionPolicy=Never.');
  });

  it('has its own wording for an empty cluster', () => {
    expect(fitErrorMessage(makePod('p'), 0, [])).toBe('no nodes available to schedule pods');
  });
});
