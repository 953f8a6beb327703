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

  it('rejects bad values, unknown fields and broken YAML with a message naming the field', () => {
    expect(() => parseSchedulerConfig('scoringStrategy: Tightest')).toThrow(/scoringStrategy: Unsupported value: "Tightest": supported values: "LeastAllocated", "MostAllocated"/);
    expect(() => parseSchedulerConfig('scoringStrategie: MostAllocated')).toThrow(/unknown field\(s\) "scoringStrategie"/);
    expect(() => parseSchedulerConfig('scoringStrategy: [')).toThrow(SchedulerConfigError);
    expect(() => parseSchedulerConfig('- a')).toThrow(/must be a mapping/);
  });
});
