import { describe, expect, it } from 'vitest';
import { parseSchedulerConfig, SchedulerConfigError } from './scheduler-config.ts';

describe('parseSchedulerConfig', () => {
  it('reads the short form and defaults to LeastAllocated', () => {
    expect(parseSchedulerConfig('scoringStrategy: MostAllocated\n')).toEqual({ scoringStrategy: 'MostAllocated' });
    expect(parseSchedulerConfig('scoringStrategy: {type: MostAllocated}')).toEqual({ scoringStrategy: 'MostAllocated' });
    expect(parseSchedulerConfig('')).toEqual({ scoringStrategy: 'LeastAllocated' });
  });

  it('reads the KubeSchedulerConfiguration form', () => {
    const text = [
      'apiVersion: kubescheduler.config.k8s.io/v1',
      'kind: KubeSchedulerConfiguration',
      'profiles:',
      '- schedulerName: default-scheduler',
      '  pluginConfig:',
      '  - name: NodeResourcesFit',
      '    args:',
      '      scoringStrategy:',
      '        type: MostAllocated',
    ].join('\n');
    expect(parseSchedulerConfig(text)).toEqual({ scoringStrategy: 'MostAllocated' });
  });

  it('reads percentageOfNodesToScore at the top and per profile (the profile wins), leaving it out when unset', () => {
    expect(parseSchedulerConfig('percentageOfNodesToScore: 30')).toEqual({ scoringStrategy: 'LeastAllocated', percentageOfNodesToScore: 30 });
    const text = ['kind: KubeSchedulerConfiguration', 'percentageOfNodesToScore: 30', 'profiles:', '- percentageOfNodesToScore: 0'].join('\n');
    expect(parseSchedulerConfig(text)).toEqual({ scoringStrategy: 'LeastAllocated', percentageOfNodesToScore: 0 });
    expect(parseSchedulerConfig('scoringStrategy: MostAllocated')).not.toHaveProperty('percentageOfNodesToScore');
    expect(() => parseSchedulerConfig('percentageOfNodesToScore: 101')).toThrow(/percentageOfNodesToScore: Invalid value: 101: not in valid range \[0-100\]/);
    expect(() => parseSchedulerConfig('profiles: [{percentageOfNodesToScore: 2.5}]')).toThrow(/profiles\[0\]\.percentageOfNodesToScore: Invalid value/);
  });

  it('rejects bad values, unknown fields and broken YAML with a message naming the field', () => {
    expect(() => parseSchedulerConfig('scoringStrategy: Tightest')).toThrow(/scoringStrategy: Unsupported value: "Tightest": supported values: "LeastAllocated", "MostAllocated"/);
    expect(() => parseSchedulerConfig('scoringStrategie: MostAllocated')).toThrow(/unknown field\(s\) "scoringStrategie"/);
    expect(() => parseSchedulerConfig('scoringStrategy: [')).toThrow(SchedulerConfigError);
    expect(() => parseSchedulerConfig('- a')).toThrow(/must be a mapping/);
  });
});
