import { describe, expect, it } from 'vitest';
import { parseFieldPath } from './field-path.ts';
import { splitDocuments } from './split-documents.ts';

describe('splitDocuments', () => {
  it('splits a multi-document YAML file, skipping empty documents, with 1-based start lines', () => {
    const text = [
      '# leading comment',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: one',
      '---',
      '---',
      '# only a comment',
      '---',
      'apiVersion: v1',
      'kind: Service',
      'metadata:',
      '  name: two',
      '',
    ].join('\n');
    const docs = splitDocuments({ name: 'app.yaml', text });
    expect(docs.map((d) => [d.file, d.line, d.object?.kind, d.object?.metadata.name])).toEqual([
      ['app.yaml', 2, 'ConfigMap', 'one'],
      ['app.yaml', 10, 'Service', 'two'],
    ]);
  });

  it('expands List kinds (kind: List and *List) into their items, each at its own line', () => {
    const text = [
      'apiVersion: v1',
      'kind: List',
      'items:',
      '- apiVersion: v1',
      '  kind: ConfigMap',
      '  metadata: {name: a}',
      '- apiVersion: v1',
      '  kind: ConfigMap',
      '  metadata:',
      '    name: b',
      '  data:',
      '    x: 1',
    ].join('\n');
    const docs = splitDocuments({ name: 'list.yaml', text });
    expect(docs.map((d) => [d.line, d.object?.metadata.name])).toEqual([[4, 'a'], [7, 'b']]);
    expect(docs[1].lineOf('data.x')).toBe(12);
    expect(docs[1].lineOf('data.missing')).toBe(11);
  });

  it('reads JSON files, including a ConfigMapList', () => {
    const text = JSON.stringify(
      { apiVersion: 'v1', kind: 'ConfigMapList', items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'j' }, data: { k: 'v' } }] },
      null,
      2,
    );
    const docs = splitDocuments({ name: 'list.json', text });
    expect(docs).toHaveLength(1);
    expect(docs[0].object).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'j' }, data: { k: 'v' } });
    expect(docs[0].line).toBe(5);
    expect(docs[0].lineOf('data.k')).toBe(12);
  });

  it('maps field paths with indexes to the line of the key', () => {
    const text = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: web',
      'spec:',
      '  replicas: three',
      '  template:',
      '    spec:',
      '      containers:',
      '      - name: a',
      '        image: nginx',
      '      - name: b',
      '        image: busybox',
    ].join('\n');
    const [doc] = splitDocuments({ name: 'd.yaml', text });
    expect(doc.lineOf('spec.replicas')).toBe(6);
    expect(doc.lineOf('spec.template.spec.containers[1].image')).toBe(13);
    expect(doc.lineOf('spec.template.spec.containers[1]')).toBe(12);
    expect(doc.lineOf('nothing.here')).toBe(1);
  });

  it('reports a YAML syntax error with its line and keeps the other documents', () => {
    const text = ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: ok}', '---', 'apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: [bad', 'data: {}'].join('\n');
    const docs = splitDocuments({ name: 'broken.yaml', text });
    expect(docs).toHaveLength(2);
    expect(docs[0].object?.metadata.name).toBe('ok');
    expect(docs[1].object).toBeUndefined();
    expect(docs[1].parseError?.line).toBeGreaterThanOrEqual(8);
  });

  it('requires apiVersion and kind', () => {
    const [doc] = splitDocuments({ name: 'x.yaml', text: 'metadata:\n  name: x\n' });
    expect(doc.object).toBeUndefined();
    expect(doc.parseError?.message).toMatch(/apiVersion and kind are required/);
  });

  it('reads YAML as kubectl does: 0755 is octal, dates stay strings', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n    when: 2024-01-02\nmode: 0755\n';
    const [doc] = splitDocuments({ name: 'x.yaml', text });
    expect(doc.object?.mode).toBe(0o755);
    expect(doc.object?.metadata.annotations).toEqual({ when: '2024-01-02' });
  });

  it('parses Kubernetes field paths', () => {
    expect(parseFieldPath('spec.containers[0].image')).toEqual(['spec', 'containers', 0, 'image']);
    expect(parseFieldPath('metadata.labels[app.kubernetes.io/name]')).toEqual(['metadata', 'labels', 'app.kubernetes.io/name']);
  });
});
