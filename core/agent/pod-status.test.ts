import type { ContainerStatus } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { podPhase } from './pod-status.ts';

const running: ContainerStatus = { name: 'a', image: 'i', imageID: '', ready: true, restartCount: 0, state: { running: {} } };
const exited = (exitCode: number): ContainerStatus => ({ ...running, state: { terminated: { exitCode } } });
const backingOff: ContainerStatus = { ...running, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1 } } };
const creating: ContainerStatus = { ...running, state: { waiting: { reason: 'ContainerCreating' } } };

describe('podPhase (the kubelet getPhase rules)', () => {
  it('is Pending while a container has never run or init is incomplete', () => {
    expect(podPhase('Always', true, [], [running, creating])).toBe('Pending');
    expect(podPhase('Always', false, [running], [creating])).toBe('Pending');
  });
  it('is Running while a container runs or restarts', () => {
    expect(podPhase('Always', true, [], [running, exited(0)])).toBe('Running');
    expect(podPhase('Always', true, [], [exited(0)])).toBe('Running');
    expect(podPhase('OnFailure', true, [], [backingOff])).toBe('Running');
  });
  it('is Succeeded or Failed once everything stopped for good', () => {
    expect(podPhase('OnFailure', true, [], [exited(0), exited(0)])).toBe('Succeeded');
    expect(podPhase('Never', true, [], [exited(0), exited(2)])).toBe('Failed');
    expect(podPhase('Never', false, [exited(1)], [creating])).toBe('Failed');
  });
});
