import { describe, expect, it } from 'vitest';
import { holderCopy, latestActions, leaseState } from './control-plane-state.ts';

describe('control-plane state', () => {
  it('names the copy that holds a lease from its identity', () => {
    expect(holderCopy('scheduler-1-a1b2c3', ['scheduler-1', 'scheduler-10'])).toBe('scheduler-1');
    expect(holderCopy('scheduler-10-a1b2c3', ['scheduler-1', 'scheduler-10'])).toBe('scheduler-10');
    expect(holderCopy('someone-else', ['scheduler-1'])).toBeUndefined();
  });

  it('treats a lease its holder stopped renewing as expired', () => {
    const now = Date.parse('2024-01-01T10:00:30Z');
    const lease = (renewTime: string) => ({ spec: { holderIdentity: 'scheduler-1-abc123', leaseDurationSeconds: 15, renewTime } });
    expect(leaseState(lease('2024-01-01T10:00:20.000000Z'), 'kube-scheduler', ['scheduler-1'], now)).toMatchObject({ holderCopy: 'scheduler-1', expired: false });
    expect(leaseState(lease('2024-01-01T10:00:10.000000Z'), 'kube-scheduler', ['scheduler-1'], now).expired).toBe(true);
    expect(leaseState(undefined, 'kube-scheduler', ['scheduler-1'], now)).toMatchObject({ holderIdentity: '', expired: true });
  });

  it('merges the copies’ actions newest first', () => {
    const actions = latestActions([
      { name: 's-1', kind: 'scheduler', state: 'running', restarts: 0, recentActions: [{ time: '2024-01-01T10:00:01Z', action: 'bound a' }, { time: '2024-01-01T10:00:03Z', action: 'bound b' }] },
      { name: 'cm-1', kind: 'controller-manager', state: 'running', restarts: 0, recentActions: [{ time: '2024-01-01T10:00:02Z', action: 'scaled c' }] },
    ]);
    expect(actions.map((a) => `${a.component}:${a.action}`)).toEqual(['s-1:bound b', 'cm-1:scaled c', 's-1:bound a']);
  });
});
