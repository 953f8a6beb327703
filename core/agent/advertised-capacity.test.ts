import { describe, expect, it } from 'vitest';
import { advertisedCapacity, CAPACITY_ANNOTATION } from './node-registration.ts';

describe('advertisedCapacity', () => {
  it('reads cpu, memory and pods from the capacity annotation and ignores anything else', () => {
    const node = { metadata: { annotations: { [CAPACITY_ANNOTATION]: 'cpu=8, memory=16Gi,disk=1Ti,pods=50' } } };
    expect(advertisedCapacity(node)).toEqual({ cpu: '8', memory: '16Gi', pods: '50' });
  });

  it('drops values that are not quantities, and nodes without the annotation advertise nothing', () => {
    expect(advertisedCapacity({ metadata: { annotations: { [CAPACITY_ANNOTATION]: 'cpu=lots' } } })).toEqual({});
    expect(advertisedCapacity({ metadata: {} })).toEqual({});
  });
});
