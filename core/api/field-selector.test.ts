import { describe, it, expect } from 'vitest';
import { FieldSelectorError, parseFieldSelector, readSelectableField, supportedFieldsFor } from './field-selector.ts';

const podFields = supportedFieldsFor('Pod');

const runningPod = {
  metadata: { name: 'web-1', namespace: 'shop' },
  spec: { nodeName: 'node-a', restartPolicy: 'Always' },
  status: { phase: 'Running', podIP: '10.0.0.5' },
};
const pendingPod = { metadata: { name: 'web-2', namespace: 'shop' }, spec: {}, status: { phase: 'Pending' } };

function selectorError(text: string, fields: readonly string[]): FieldSelectorError {
  try {
    parseFieldSelector(text, fields);
  } catch (error) {
    expect(error).toBeInstanceOf(FieldSelectorError);
    return error as FieldSelectorError;
  }
  throw new Error(`expected "${text}" to be rejected`);
}

describe('parseFieldSelector', () => {
  it('parses =, == and != terms, == meaning =', () => {
    expect(parseFieldSelector('metadata.name=a,spec.nodeName==b,status.phase!=c', podFields).requirements).toEqual([
      { field: 'metadata.name', operator: '=', value: 'a' },
      { field: 'spec.nodeName', operator: '=', value: 'b' },
      { field: 'status.phase', operator: '!=', value: 'c' },
    ]);
  });

  it('allows an empty value and trims whitespace around terms', () => {
    expect(parseFieldSelector(' spec.nodeName = , status.phase != Running ', podFields).requirements).toEqual([
      { field: 'spec.nodeName', operator: '=', value: '' },
      { field: 'status.phase', operator: '!=', value: 'Running' },
    ]);
  });

  it('treats empty text (and empty terms) as the selector that selects everything', () => {
    for (const text of ['', ' ', ',', 'metadata.name=web-1,']) {
      const selector = parseFieldSelector(text, podFields);
      expect(selector.matches(runningPod)).toBe(true);
    }
    expect(parseFieldSelector('', podFields).isEmpty()).toBe(true);
    expect(parseFieldSelector('metadata.name=x', podFields).isEmpty()).toBe(false);
  });

  it('rejects unsupported field labels with the Kubernetes wording', () => {
    expect(selectorError('spec.hostname=x', podFields).message).toBe('field label not supported: spec.hostname');
    expect(selectorError('metadata.name=a,status.podIP=b', supportedFieldsFor('Service')).message).toBe(
      'field label not supported: status.podIP',
    );
  });

  it('rejects a term without an operator', () => {
    const error = selectorError('metadata.name=a,oops', podFields);
    expect(error.message).toContain("can't understand 'oops'");
  });

  it('prints the requirements back', () => {
    expect(parseFieldSelector('metadata.name==a, status.phase!=b', podFields).toString()).toBe(
      'metadata.name=a,status.phase!=b',
    );
  });
});

describe('FieldSelector.matches', () => {
  it('compares values read by dotted path', () => {
    const onNodeA = parseFieldSelector('spec.nodeName=node-a', podFields);
    expect(onNodeA.matches(runningPod)).toBe(true);
    expect(onNodeA.matches(pendingPod)).toBe(false);
    expect(parseFieldSelector('metadata.namespace=shop,metadata.name=web-2', podFields).matches(pendingPod)).toBe(true);
  });

  it('reads a missing value as the empty string', () => {
    const unscheduled = parseFieldSelector('spec.nodeName=', podFields);
    expect(unscheduled.matches(pendingPod)).toBe(true);
    expect(unscheduled.matches(runningPod)).toBe(false);
    expect(parseFieldSelector('spec.nodeName!=', podFields).matches(runningPod)).toBe(true);
    expect(parseFieldSelector('status.podIP=', podFields).matches({ metadata: {} })).toBe(true);
  });

  it('!= matches when the value differs', () => {
    const notRunning = parseFieldSelector('status.phase!=Running', podFields);
    expect(notRunning.matches(pendingPod)).toBe(true);
    expect(notRunning.matches(runningPod)).toBe(false);
  });

  it('ANDs terms', () => {
    const selector = parseFieldSelector('status.phase=Running,spec.nodeName=node-b', podFields);
    expect(selector.matches(runningPod)).toBe(false);
  });

  it('selects events by involved object', () => {
    const event = {
      metadata: { name: 'web-1.17a', namespace: 'shop' },
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'shop', uid: 'u-1' },
      reason: 'Scheduled',
      type: 'Normal',
      source: { component: 'default-scheduler' },
      reportingController: 'kubelab-scheduler',
    };
    const fields = supportedFieldsFor('Event');
    expect(parseFieldSelector('involvedObject.kind=Pod,involvedObject.name=web-1', fields).matches(event)).toBe(true);
    expect(parseFieldSelector('involvedObject.uid=u-2', fields).matches(event)).toBe(false);
    expect(parseFieldSelector('source=default-scheduler,type=Normal', fields).matches(event)).toBe(true);
    expect(parseFieldSelector('reportingComponent=kubelab-scheduler', fields).matches(event)).toBe(true);
  });

  it('reads unset booleans and counts as Kubernetes zero values', () => {
    const schedulable = parseFieldSelector('spec.unschedulable=false', supportedFieldsFor('Node'));
    expect(schedulable.matches({ metadata: { name: 'n1' }, spec: {} })).toBe(true);
    expect(schedulable.matches({ metadata: { name: 'n2' }, spec: { unschedulable: true } })).toBe(false);

    const succeededOnce = parseFieldSelector('status.successful=1', supportedFieldsFor('Job'));
    expect(succeededOnce.matches({ metadata: {}, status: { succeeded: 1 } })).toBe(true);
    expect(parseFieldSelector('status.successful=0', supportedFieldsFor('Job')).matches({ metadata: {} })).toBe(true);

    const emptyReplicaSets = parseFieldSelector('status.replicas=0', supportedFieldsFor('ReplicaSet'));
    expect(emptyReplicaSets.matches({ metadata: {}, status: {} })).toBe(true);
    expect(emptyReplicaSets.matches({ metadata: {}, status: { replicas: 3 } })).toBe(false);
  });

  it('selects secrets by type', () => {
    const tls = parseFieldSelector('type=kubernetes.io/tls', supportedFieldsFor('Secret'));
    expect(tls.matches({ metadata: {}, type: 'kubernetes.io/tls' })).toBe(true);
    expect(tls.matches({ metadata: {}, type: 'Opaque' })).toBe(false);
  });
});

describe('supportedFieldsFor', () => {
  it('gives every kind metadata.name and metadata.namespace', () => {
    expect(supportedFieldsFor('ConfigMap')).toEqual(['metadata.name', 'metadata.namespace']);
    for (const kind of ['Pod', 'Event', 'Secret', 'Node', 'Namespace', 'Job', 'ReplicaSet']) {
      expect(supportedFieldsFor(kind)).toContain('metadata.name');
      expect(supportedFieldsFor(kind)).toContain('metadata.namespace');
    }
  });

  it('adds the kind-specific fields', () => {
    expect(supportedFieldsFor('Pod')).toEqual(
      expect.arrayContaining([
        'spec.nodeName',
        'spec.schedulerName',
        'spec.serviceAccountName',
        'status.phase',
        'status.podIP',
        'status.nominatedNodeName',
        'spec.restartPolicy',
      ]),
    );
    expect(supportedFieldsFor('Event')).toEqual(
      expect.arrayContaining(['involvedObject.name', 'involvedObject.fieldPath', 'reason', 'source', 'type']),
    );
    expect(supportedFieldsFor('Secret')).toContain('type');
    expect(supportedFieldsFor('Node')).toContain('spec.unschedulable');
    expect(supportedFieldsFor('Namespace')).toContain('status.phase');
    expect(supportedFieldsFor('Job')).toContain('status.successful');
    expect(supportedFieldsFor('ReplicaSet')).toContain('status.replicas');
    expect(supportedFieldsFor('ConfigMap')).not.toContain('status.phase');
  });
});

describe('readSelectableField', () => {
  it('stringifies numbers and booleans and ignores objects', () => {
    expect(readSelectableField({ status: { replicas: 2 } }, 'status.replicas')).toBe('2');
    expect(readSelectableField({ spec: { hostNetwork: true } }, 'spec.hostNetwork')).toBe('true');
    expect(readSelectableField({ spec: { nodeName: { nested: 1 } } }, 'spec.nodeName')).toBe('');
    expect(readSelectableField({ spec: null }, 'spec.nodeName')).toBe('');
  });
});
