import { describe, expect, it } from 'vitest';
import { EXPLANATION_ANNOTATION, explanationAnnotationValue, explanationChanged, readExplanation } from './explanation.ts';
import type { ScheduleExplanation } from './schedule-one.ts';
import { makePod } from './test-fixtures.ts';

const failed: ScheduleExplanation = {
  result: 'Unschedulable',
  message: '0/1 nodes are available: 1 Too many pods.',
  nodes: [{ name: 'a', filters: [{ plugin: 'NodeResourcesFit', code: 'Unschedulable', reasons: ['Too many pods'] }] }],
};

describe('explanation annotation', () => {
  it('is compact JSON with the time first and no empty fields', () => {
    const value = explanationAnnotationValue(failed, 'LeastAllocated', new Date('2024-05-01T10:00:00.123Z'));
    expect(value).toBe(
      '{"time":"2024-05-01T10:00:00Z","result":"Unschedulable","message":"0/1 nodes are available: 1 Too many pods.","scoringStrategy":"LeastAllocated",' +
        '"nodes":[{"name":"a","filters":[{"plugin":"NodeResourcesFit","code":"Unschedulable","reasons":["Too many pods"]}]}]}',
    );
  });

  it('counts as unchanged when only the time differs', () => {
    const pod = makePod('p');
    pod.metadata!.annotations = { [EXPLANATION_ANNOTATION]: explanationAnnotationValue(failed, 'LeastAllocated', new Date(0)) };
    expect(readExplanation(pod)?.result).toBe('Unschedulable');
    expect(explanationChanged(pod, explanationAnnotationValue(failed, 'LeastAllocated', new Date()))).toBe(false);
    expect(explanationChanged(pod, explanationAnnotationValue(failed, 'MostAllocated', new Date()))).toBe(true);
    expect(explanationChanged(makePod('fresh'), explanationAnnotationValue(failed, 'LeastAllocated', new Date()))).toBe(true);
  });
});
